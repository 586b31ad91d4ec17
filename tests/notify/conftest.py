"""A demo-corpus store plus a crafted week of papers, copied fresh for every test (digest tests write), and a
real SMTP server (aiosmtpd on 127.0.0.1) that records what it accepts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from notifydata import SmtpServer, crafted_papers

from openpapers.config import resolve_settings
from openpapers.demo import load_demo
from openpapers.search.service import SearchService
from openpapers.store import open_store


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("notify-template")
    store = open_store(resolve_settings(data))
    try:
        load_demo(store)
        store.apply(crafted_papers())
        SearchService(store, data).sync(semantic=False)
    finally:
        store.close()
    return data


@pytest.fixture
def data_dir(template_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(template_dir, target)
    return target


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        for k, v in server.env().items():
            monkeypatch.setenv(k, v)
        yield server
