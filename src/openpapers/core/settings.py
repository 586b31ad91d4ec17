"""Where openpapers keeps its data, resolved once: flag, then environment, then a documented default.

* data dir: ``--data-dir`` > ``$OPENPAPERS_DATA_DIR`` > the platform's user data dir
  (``~/.local/share/openpapers`` on Linux).
* database: ``$OPENPAPERS_DATABASE_URL`` > ``sqlite:///<data dir>/openpapers.db``.
* public base URL: ``$OPENPAPERS_BASE_URL`` (e.g. ``https://papers.example.org``), used where a link must be
  absolute outside a request (emails) and to decide whether cookies are ``Secure``; None when unset.

Search on PostgreSQL: ``$OPENPAPERS_KEYWORD_INDEX`` = ``database`` (default) or ``local`` (tantivy files per
host, synced from the database), read by :mod:`openpapers.search.retrievers`.

Mail (SMTP) settings are read by :class:`openpapers.digests.smtp.SmtpSettings.from_env`; they matter only to the
commands that send mail, so a bad SMTP variable never stops the web app from starting.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    base_url: str | None = None  # the site's public URL without a trailing slash, when configured


def env_base_url() -> str | None:
    """``$OPENPAPERS_BASE_URL`` without its trailing slash, or None when unset or blank."""
    value = os.environ.get("OPENPAPERS_BASE_URL", "").strip().rstrip("/")
    return value or None


def resolve_settings(
    data_dir: str | Path | None = None, database_url: str | None = None, base_url: str | None = None
) -> Settings:
    base = Path(data_dir or os.environ.get("OPENPAPERS_DATA_DIR") or user_data_dir("openpapers")).expanduser()
    url = database_url or os.environ.get("OPENPAPERS_DATABASE_URL") or f"sqlite:///{base.resolve()}/openpapers.db"
    return Settings(data_dir=base, database_url=url, base_url=(base_url or "").rstrip("/") or env_base_url())
