"""Where openpapers keeps its data, resolved once: flag, then environment, then a documented default.

* data dir: ``--data-dir`` > ``$OPENPAPERS_DATA_DIR`` > the platform's user data dir
  (``~/.local/share/openpapers`` on Linux).
* database: ``$OPENPAPERS_DATABASE_URL`` > ``sqlite:///<data dir>/openpapers.db``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_dir


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str


def resolve_settings(data_dir: str | Path | None = None, database_url: str | None = None) -> Settings:
    base = Path(data_dir or os.environ.get("OPENPAPERS_DATA_DIR") or user_data_dir("openpapers")).expanduser()
    url = database_url or os.environ.get("OPENPAPERS_DATABASE_URL") or f"sqlite:///{base.resolve()}/openpapers.db"
    return Settings(data_dir=base, database_url=url)
