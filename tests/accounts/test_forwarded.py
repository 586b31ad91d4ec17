"""Which client address the login limits count, through a real ``openpapers serve`` (issue 12).

uvicorn used to believe ``X-Forwarded-For`` from every loopback client, so a local script that rotated the
header was a new client each time: 23 failed logins, never a 429. Now the header counts only from the proxies
``OPENPAPERS_FORWARDED_ALLOW_IPS`` names (default none). With a proxy configured, its forwarded address is the
client's, and a guesser's failures slow down that guesser's (email, address) pair only: the owner, on another
address, logs straight in (before: 429 during a 15-minute lock).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers.accountkit import PASSWORD, csrf_from
from helpers.servekit import serving
from openpapers.accounts import service as accounts
from openpapers.accounts import throttle
from openpapers.core.settings import SettingsError, resolve_settings
from openpapers.papers.store import open_store

pytestmark = [pytest.mark.usefixtures("backend_db"), pytest.mark.slow]
EMAIL = "owner@example.org"


@pytest.fixture()
def store_env(tmp_path: Path, backend: Any) -> Iterator[tuple[Path, dict[str, str]]]:
    settings = backend.settings(tmp_path)
    store = open_store(settings)
    try:
        accounts.sign_up(store.db, EMAIL, PASSWORD, "Owner")
    finally:
        store.close()
    env = {**os.environ, "OPENPAPERS_DATABASE_URL": settings.database_url}
    env.pop("OPENPAPERS_FORWARDED_ALLOW_IPS", None)
    yield tmp_path, env


def login(base: str, password: str, forwarded_for: str, email: str = EMAIL) -> int:
    with httpx.Client(base_url=base, timeout=30) as client:
        token = csrf_from(client.get("/login").text)
        r = client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                        headers={"X-Forwarded-For": forwarded_for})
        return r.status_code


def test_rotating_x_forwarded_for_from_an_untrusted_client_is_ignored(store_env: tuple[Path, dict[str, str]]
                                                                      ) -> None:
    data, env = store_env
    with serving(data, env, data / "serve.log") as base:
        # the repro: 23 guesses, each for another email and with another forwarded address
        statuses = [login(base, "wrong password!", f"203.0.113.{i + 1}", f"guess{i}@example.org")
                    for i in range(23)]
        # one client (127.0.0.1) whatever the header says: the per-address cap over all emails holds
        assert statuses == [400] * throttle.MAX_FAILS_PER_IP + [429] * (23 - throttle.MAX_FAILS_PER_IP)


def test_a_configured_proxy_is_believed_and_the_owner_is_not_locked_out(store_env: tuple[Path, dict[str, str]]
                                                                        ) -> None:
    data, env = store_env
    env["OPENPAPERS_FORWARDED_ALLOW_IPS"] = "127.0.0.1"  # the proxy runs on this host
    with serving(data, env, data / "serve.log") as base:
        guesses = [login(base, "wrong password!", "203.0.113.66") for _ in range(throttle.FREE_FAILURES + 1)]
        assert guesses == [400] * throttle.FREE_FAILURES + [429]
        assert login(base, PASSWORD, "203.0.113.66") == 429  # the guesser's pair waits, even with the password
        assert login(base, PASSWORD, "198.51.100.20") == 303  # the owner, from home: straight in


def test_a_bad_proxy_address_stops_with_the_variables_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENPAPERS_FORWARDED_ALLOW_IPS", "127.0.0.1, proxy.local")
    with pytest.raises(SettingsError, match=r"OPENPAPERS_FORWARDED_ALLOW_IPS has 'proxy\.local'"):
        resolve_settings()
    monkeypatch.setenv("OPENPAPERS_FORWARDED_ALLOW_IPS", " 10.0.0.0/8 ,192.0.2.1 ")
    assert resolve_settings().web.forwarded_allow_ips == "10.0.0.0/8,192.0.2.1"
