"""Bringing a database's schema to the newest Alembic revision, safely with several processes starting at once.

Migrations are additive; a database written by a newer openpapers (an unknown revision) is refused rather than
guessed at. On PostgreSQL the upgrade runs under an advisory lock (DDL is transactional there), so the second
of two workers starting together finds the schema current instead of migrating it again.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from openpapers.core.errors import StoreError
from openpapers.db.dialect import is_postgres
from openpapers.db.engine import display_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
MIGRATE_LOCK_KEY = 0x6F70_6D67  # "opmg": PostgreSQL advisory lock held while one process migrates


def alembic_config(connection: Connection | None) -> Config:
    """Alembic's configuration for our migrations, running on ``connection`` (None: only to read scripts)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest revision the migrations of this openpapers know."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: not migrated at all)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, url: str) -> None:
    """Upgrade the database to the newest schema; refuse one written by a newer openpapers."""
    try:
        with engine.begin() as conn:
            if is_postgres(conn):
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY})")
            cfg = alembic_config(conn)
            current = MigrationContext.configure(conn).get_current_revision()
            scripts = ScriptDirectory.from_config(cfg)
            if current is not None and not _known_revision(scripts, current):
                raise StoreError(f"store {display_url(url)} has schema {current}, newer than this openpapers knows")
            if current != scripts.get_current_head():
                command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise StoreError(f"cannot open store {display_url(url)}: {exc.orig}") from exc


def _known_revision(scripts: ScriptDirectory, rev: str) -> bool:
    try:
        return scripts.get_revision(rev) is not None
    except Exception:  # alembic raises several types for an unknown id
        return False
