"""A PostgreSQL server for the benches, and its memory: throwaway (.ci/pg-server.sh) or kept in a folder.

A kept cluster (``--pg-dir``) lets a long bench resume: the 1M corpus takes most of an hour to build on two
cores, and a later run that only re-times searches should not rebuild it. Both kinds run with the same
settings: fsync on and ``synchronous_commit=off`` (the durability of SQLite's WAL with ``synchronous=NORMAL``),
``shared_buffers`` 256 MB (SQLite's page cache in these benches is 256 MiB), and ``maintenance_work_mem`` big
enough for pgvector to build a 500k-vector HNSW graph in memory (it falls back to a far slower build otherwise).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
SETTINGS = ("-c fsync=on -c full_page_writes=on -c synchronous_commit=off -c max_connections=200 "
            "-c shared_buffers=256MB -c maintenance_work_mem=1536MB -c max_parallel_maintenance_workers=1")


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and pg_ctl refuse to run as root."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


def start_throwaway() -> tuple[str, str]:
    """A fresh cluster in a temporary folder (removed by :func:`stop_throwaway`): (superuser URL, folder)."""
    script = (f"source {ROOT / '.ci' / 'pg-server.sh'} && PG_TEST_FSYNC=on PG_TEST_OPTS='{SETTINGS}' "
              'pg_test_start && echo "$OPENPAPERS_TEST_PG_URL $PG_TEST_DIR"')
    url, folder = subprocess.run(["bash", "-c", script], check=True, capture_output=True, text=True
                                 ).stdout.split()[-2:]
    return url, folder


def stop_throwaway(folder: str) -> None:
    subprocess.run(["bash", "-c", f"source {ROOT / '.ci' / 'pg-server.sh'} && PG_TEST_DIR={folder} pg_test_stop"],
                   check=False)


def start_kept(folder: Path) -> str:
    """Start (creating it on first use) the cluster kept in ``folder``; returns a superuser URL."""
    folder = folder.resolve()
    data = folder / "data"
    folder.mkdir(parents=True, exist_ok=True)
    if os.getuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    if not (data / "PG_VERSION").exists():
        subprocess.run(_as_postgres([str(PGBIN / "initdb"), "-D", str(data), "-U", "openpapers", "--auth=trust",
                                     "--encoding=UTF8", "--locale=C.UTF-8"]), check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-o",
                                 f"-h 127.0.0.1 -p {port} -k {folder} {SETTINGS}", "start"]),
                   check=True, capture_output=True)
    subprocess.run([str(PGBIN / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "openpapers", "-d", "template1",
                    "-qAt", "-c", "CREATE EXTENSION IF NOT EXISTS vector"], check=True, capture_output=True)
    return f"postgresql://openpapers@127.0.0.1:{port}/postgres"


def stop_kept(folder: Path) -> None:
    subprocess.run(_as_postgres([str(PGBIN / "pg_ctl"), "-D", str(folder.resolve() / "data"), "-m", "fast", "-w",
                                 "stop"]), check=False, capture_output=True)


def database(admin_url: str, name: str, *, fresh: bool) -> str:
    """The URL of database ``name`` on the server, created (or dropped and created when ``fresh``)."""
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        exists = conn.exec_driver_sql("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).first()
        if fresh and exists:
            conn.exec_driver_sql(f"DROP DATABASE {name} WITH (FORCE)")
        if fresh or not exists:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
            conn.exec_driver_sql(f"ALTER DATABASE {name} SET search_path = public")
    engine.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def rename_database(admin_url: str, old: str, new: str) -> str:
    """Rename ``old`` to ``new`` (dropping an existing ``new``); returns the new URL."""
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {new} WITH (FORCE)")
        conn.exec_driver_sql(f"ALTER DATABASE {old} RENAME TO {new}")
    engine.dispose()
    return sa.make_url(admin_url).set(database=new).render_as_string(hide_password=False)


def postmaster(url: str) -> int:
    """The server's postmaster pid, from the pid file in the data directory the server reports."""
    import sqlalchemy as sa

    from openpapers.db.dialect import engine_url

    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        data = conn.exec_driver_sql("SHOW data_directory").scalar()
    engine.dispose()
    return int(Path(data, "postmaster.pid").read_text().split()[0])


def pss_mib(pid: int) -> float:
    """Proportional set size of the postmaster and all its children (the connection backends of the moment),
    summed: shared memory (shared_buffers) is counted once, not once per process."""
    total = 0
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for proc in procs:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += proc.memory_full_info().pss
    return total / 2**20


class Sampler(threading.Thread):
    """Peak PSS of the PostgreSQL server while something runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.5):
            self.peak = max(self.peak, pss_mib(self.pid))
