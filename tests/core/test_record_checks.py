"""The checks every claim passes before it is stored (core/record_checks.py): count bounds and the scrub."""

from __future__ import annotations

import pytest

from openpapers.core.record_checks import MAX_COUNT, RecordProblem, check_count, record_problem, scrub_record
from openpapers.core.records import PaperRecord, Version


@pytest.mark.parametrize("value", [0, 1, MAX_COUNT])
def test_counts_in_range_pass(value: int) -> None:
    assert check_count(value, "upvotes") == value


@pytest.mark.parametrize("value", [-1, MAX_COUNT + 1, 2**64, 10**30, True, 1.0, "3"])
def test_counts_out_of_range_are_refused_naming_the_field(value: object) -> None:
    with pytest.raises(RecordProblem) as caught:
        check_count(value, "upvotes")  # type: ignore[arg-type]
    assert caught.value.field == "upvotes"
    assert "whole number" in caught.value.message


def test_a_huge_count_is_shown_by_its_length_not_its_digits() -> None:
    with pytest.raises(RecordProblem, match="a 31-digit number"):
        check_count(10**30, "upvotes")


def test_record_problem_names_the_first_bad_count() -> None:
    rec = PaperRecord("s", "k", title="T", versions=[Version(1), Version(0)])
    problem = record_problem(rec)
    assert problem is not None and problem.field == "versions[1]"
    rec = PaperRecord("s", "k", title="T", extra={"numComments": 2**40, "flag": True})
    problem = record_problem(rec)
    assert problem is not None and problem.field == "extra.numComments"
    assert record_problem(PaperRecord("s", "k", title="T", upvotes=MAX_COUNT, extra={"flag": True})) is None


def test_scrub_removes_c0_controls_and_del_but_keeps_tab_newline_cr() -> None:
    rec = PaperRecord("s", "k", title="A\x00B", abstract="x\ty\nz\r\x7f\x1f", authors=["Ad\x01a", "\x00"],
                      extra={"hf_id": "i\x00d", "list": ["a\x0bb", "ok"], "n": 3})
    cleaned = scrub_record(rec)
    assert cleaned == ["title", "abstract", "authors", "extra.hf_id", "extra.list"]
    assert rec.title == "AB"
    assert rec.abstract == "x\ty\nz\r"
    assert rec.authors == ["Ada"]  # a name of nothing but controls goes
    assert rec.extra == {"hf_id": "id", "list": ["ab", "ok"], "n": 3}


def test_scrub_leaves_clean_records_untouched() -> None:
    extra = {"list": ["a", "b"], "s": "text"}
    rec = PaperRecord("s", "k", title="Clean – ünïcode title", authors=["Ada"], extra=extra)
    assert scrub_record(rec) == []
    assert rec.extra["list"] is extra["list"]
    assert rec.title == "Clean – ünïcode title"


def test_removing_a_control_does_not_leave_a_double_space() -> None:
    rec = PaperRecord("s", "k", title="A \x00 B")
    scrub_record(rec)
    assert rec.title == "A B"
