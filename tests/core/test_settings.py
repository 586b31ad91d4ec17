"""The one Settings object: the same variable names as ever, flags over environment, errors naming the variable,
and a JSON round trip for ``serve``'s worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest

from openpapers.core.settings import (
    SERVE_SETTINGS_ENV,
    Settings,
    SettingsError,
    env_names,
    resolve_settings,
    settings_for_workers,
    worker_settings,
)


def test_groups_read_the_same_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert len(env_names()) == 26 and all(name.startswith("OPENPAPERS_") for name in env_names())
    monkeypatch.setenv("OPENPAPERS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("OPENPAPERS_DATABASE_URL", raising=False)
    monkeypatch.setenv("OPENPAPERS_BASE_URL", "https://papers.example.org/")
    monkeypatch.setenv("OPENPAPERS_WEB_CACHE", "off")
    monkeypatch.setenv("OPENPAPERS_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("OPENPAPERS_KEYWORD_INDEX", " Local ")
    monkeypatch.setenv("OPENPAPERS_SMTP_PASSWORD", " secret ")
    monkeypatch.setenv("OPENPAPERS_TIMEZONE", "   ")  # blank: unset
    s = resolve_settings()
    assert s.data_dir == tmp_path and s.database_url == f"sqlite:///{tmp_path.resolve()}/openpapers.db"
    assert (s.base_url, s.public_url, s.web.cache) == ("https://papers.example.org", "https://papers.example.org",
                                                        False)
    assert s.search.keyword_index == "local" and s.mail.smtp_password == " secret "
    assert s.schedule.timezone == "UTC" and s.web.max_body_bytes == 2048


def test_arguments_win_and_the_base_url_has_one_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPENPAPERS_DATABASE_URL", "sqlite:////nowhere/else.db")
    monkeypatch.delenv("OPENPAPERS_BASE_URL", raising=False)
    s = resolve_settings(tmp_path, database_url=f"sqlite:///{tmp_path}/x.db")
    assert s.database_url == f"sqlite:///{tmp_path}/x.db"
    assert s.base_url is None and s.public_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("OPENPAPERS_KEYWORD_INDEX", "tantivy", "OPENPAPERS_KEYWORD_INDEX must be 'database' or 'local'"),
    ("OPENPAPERS_EMBED_ON_IMPORT", "many", "OPENPAPERS_EMBED_ON_IMPORT: "),
    ("OPENPAPERS_DIGEST_CATCHUP", "99", "OPENPAPERS_DIGEST_CATCHUP: "),
    ("OPENPAPERS_MAX_BODY_BYTES", "0", "OPENPAPERS_MAX_BODY_BYTES: "),
])
def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str,
                                        message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        resolve_settings(tmp_path)


def test_workers_get_the_settings_as_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    s = resolve_settings(tmp_path, base_url="https://papers.example.org")
    (name, value), = settings_for_workers(s).items()
    assert name == SERVE_SETTINGS_ENV
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENPAPERS_BASE_URL", "https://ignored.example.org")  # the parent's settings win
    assert worker_settings() == s and isinstance(worker_settings(), Settings)


def test_account_mail_and_proxy_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 12: forwarded headers are believed from nobody by default; account mail is sent unless told."""
    monkeypatch.delenv("OPENPAPERS_FORWARDED_ALLOW_IPS", raising=False)
    monkeypatch.delenv("OPENPAPERS_ACCOUNT_MAIL", raising=False)
    s = resolve_settings()
    assert s.web.forwarded_allow_ips == "" and s.web.account_mail == "smtp"
    monkeypatch.setenv("OPENPAPERS_ACCOUNT_MAIL", " LOG ")
    assert resolve_settings().web.account_mail == "log"
    monkeypatch.setenv("OPENPAPERS_ACCOUNT_MAIL", "print")
    with pytest.raises(SettingsError, match="OPENPAPERS_ACCOUNT_MAIL must be 'smtp' or 'log'"):
        resolve_settings()
