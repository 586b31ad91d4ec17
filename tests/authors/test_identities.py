"""Identities in a real store (both backends): the Qi Meng namesakes come apart, ids survive re-import and
rebuild, merge/split/undo are recorded and reversible, follows follow people."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openpapers.authors import admin, profiles, service
from openpapers.authors import repository as repo
from openpapers.core.settings import resolve_settings
from openpapers.papers.demo import load_demo
from openpapers.papers.store import Store, open_store
from openpapers.signals.ranking_queries import links


def _store(tmp_path: Path) -> Store:
    store = open_store(resolve_settings(tmp_path))
    load_demo(store)
    return store


def _paper(store: Store, title_start: str) -> str:
    return next(p.id for p in store.iter_papers() if p.title.startswith(title_start))


def _assignment(store: Store) -> dict[str, str]:
    """paper id -> the Qi Meng identity it is in."""
    return {paper["id"]: person["id"] for person in profiles.by_name(store, "Qi Meng") for paper in person["papers"]}


def test_import_splits_the_namesakes(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        people = profiles.by_name(store, "Qi Meng")
        main = people[0]
        titles = {p["title"].split(":")[0] for p in main["papers"]}
        assert {"Deciphering and integrating invariants for neural operator learning with various physical "
                "mechanisms", "OmniFluids"} <= titles
        assert not titles & {"ParaTool", "MSRL", "AXON", "MEFT", "MASFactory"}
        assert main["paper_count"] >= 25 and len(people) > 1
        assert set(main) >= {"id", "name", "papers", "orgs", "coauthors", "confidence"}
        assert {c["name"] for c in main["coauthors"]} >= {"Rui Zhang", "Wei Chen"}
        # a different spelling of the name finds the same people
        assert [p["id"] for p in profiles.by_name(store, "qi  MENG")] == [p["id"] for p in people]


def test_ids_survive_reimport_and_rebuild(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        before = _assignment(store)
        load_demo(store)  # the same claims again: nothing changes, identities are recomputed for those names
        assert _assignment(store) == before
        service.rebuild(store)
        assert _assignment(store) == before
        report = service.rebuild(store)
        assert report.created == [] and report.retired == {}


def test_merge_keeps_the_larger_id_redirects_and_undo_restores(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        people = profiles.by_name(store, "Qi Meng")
        big, small = people[0]["id"], people[-1]["id"]
        out = admin.merge(store, small, big)
        assert out["kept"] == big and out["redirected"] == small
        assert profiles.resolve(store, small) == big
        service.rebuild(store)  # the correction is a constraint: a rebuild keeps it
        assert profiles.resolve(store, small) == big
        moved = people[-1]["papers"][0]["id"]
        assert _assignment(store)[moved] == big
        admin.undo(store, out["event"])
        service.rebuild(store)
        assert profiles.resolve(store, small) == small and _assignment(store)[moved] == small
        kinds = [e["kind"] for e in repo.events(store.db)]
        assert kinds[:2] == ["undo", "merge"]
        with pytest.raises(admin.IdentityError):
            admin.undo(store, out["event"])


def test_split_moves_papers_to_a_new_id_that_survives_rebuild(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        main = profiles.by_name(store, "Qi Meng")[0]
        out_paper = main["papers"][0]["id"]
        result = admin.split(store, main["id"], [out_paper])
        new_id = result["to"]
        service.rebuild(store)
        assert _assignment(store)[out_paper] == new_id
        assert profiles.resolve(store, main["id"]) == main["id"]
        with pytest.raises(admin.IdentityError):
            admin.split(store, main["id"], ["no-such-paper"])


def test_following_the_pde_qi_meng_does_not_bring_paratool(tmp_path: Path) -> None:
    with _store(tmp_path) as store:
        main = profiles.by_name(store, "Qi Meng")[0]["id"]
        paratool, mcnp = _paper(store, "ParaTool"), _paper(store, "Monte Carlo Neural PDE Solver")
        linked: dict[str, set[Any]] = {}
        for pid, target in links(store.db, [paratool, mcnp])["author"]:
            linked.setdefault(target, set()).add(pid)
        assert linked[main] == {mcnp}  # the person
        assert linked["qi-meng"] == {paratool, mcnp}  # the bare name still means every namesake
