"""``openpapers topics rebuild | list`` and the topic step after indexing, as a user meets them (SQLite and
PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete

from helpers.clikit import invoke
from helpers.topicdata import build_settings, embedded_demo
from openpapers.cli.topics import refresh_topics
from openpapers.db import schema as t
from openpapers.papers.store import open_store
from openpapers.topics import repository as repo

pytestmark = pytest.mark.usefixtures("backend_db")


def test_rebuild_and_list(tmp_path: Path, backend: Any) -> None:
    settings = build_settings(backend, tmp_path / "data", tmp_path / "embed")
    try:
        done = invoke(settings, "topics", "rebuild", "--json")
        assert done.exit_code == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["papers"] == 391 and report["kept_ids"] == report["topics"] >= 6
        assert set(report["detail"]["phases"]) == {"load", "cluster", "layout", "read_texts", "labels", "write"}
        assert "mean" not in report["detail"]
        listed = invoke(settings, "topics", "list")
        assert listed.exit_code == 0 and len(listed.stdout.splitlines()) == report["topics"]
        assert "PDE" in listed.stdout
        plain = invoke(settings, "topics", "rebuild", "--k", "7")
        assert plain.exit_code == 0 and plain.stdout.startswith("7 topics over 391 papers")
    finally:
        if backend.is_postgres:
            backend.drop(settings.database_url)


def test_too_few_papers_is_a_clear_error(tmp_path: Path, backend: Any) -> None:
    settings = backend.settings(tmp_path / "empty")
    try:
        done = invoke(settings, "topics", "rebuild")
        assert done.exit_code == 1 and "too few embedded papers" in done.stderr
    finally:
        if backend.is_postgres:
            backend.drop(settings.database_url)


def test_the_step_after_indexing_builds_once_then_places(tmp_path: Path, backend: Any, capsys: Any) -> None:
    settings = backend.settings(tmp_path / "data")
    store = open_store(settings)
    try:
        embedded_demo(store, tmp_path / "embed")
        refresh_topics(store, quiet=False)  # the first time: a build
        assert len(repo.assignments(store.engine)) == 391 and repo.last_build(store.engine) is not None
        assert "topics over 391 papers" in capsys.readouterr().err
        builds = repo.last_build(store.engine)
        some = sorted(repo.assignments(store.engine))[:5]
        with store.engine.begin() as conn:
            conn.execute(delete(t.paper_topics).where(t.paper_topics.c.paper_id.in_(some)))
        refresh_topics(store, quiet=False)  # afterwards: only the new papers are placed
        assert "5 new papers placed" in capsys.readouterr().err
        assert repo.last_build(store.engine) == builds
    finally:
        store.close()
        if backend.is_postgres:
            backend.drop(settings.database_url)
