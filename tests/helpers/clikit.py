"""Running the ``openpapers`` command in-process for tests that judge it the way a user meets it.

``invoke`` runs the real Typer app through Click's runner on one data set (its data dir and, when it has one of
its own, its database) and keeps stdout and stderr apart; an exception that escapes the command is a bug the
user would see as a traceback, so it is handed back, never swallowed. ``error_line`` checks the one-line error
a bad input must give: exit 2, no traceback, exactly one ``error:`` line, naming ``file:line: [field]``.
"""

from __future__ import annotations

import re
import traceback
from dataclasses import dataclass
from pathlib import Path

import orjson
from typer.testing import CliRunner

from openpapers.cli import app
from openpapers.core.settings import Settings


@dataclass(slots=True)
class Outcome:
    """What one command did: exit code, both streams, and the traceback of an exception that escaped it."""

    exit_code: int
    stdout: str
    stderr: str
    traceback: str | None

    @property
    def stdout_bytes(self) -> bytes:
        return self.stdout.encode()


def invoke(data: Settings | Path, *args: str) -> Outcome:
    """``openpapers --data-dir DIR ARGS`` in-process on ``data`` (Settings: its own database too)."""
    env: dict[str, str | None] = {"OPENPAPERS_DATA_DIR": None, "COLUMNS": "200"}
    data_dir = data.data_dir if isinstance(data, Settings) else data
    if isinstance(data, Settings):
        env["OPENPAPERS_DATABASE_URL"] = data.database_url
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], env=env)
    escaped = None
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert result.exc_info is not None
        escaped = "".join(traceback.format_exception(*result.exc_info))
    return Outcome(result.exit_code, result.stdout, result.stderr, escaped)


def ok(outcome: Outcome) -> Outcome:
    """``outcome`` after checking that the command succeeded."""
    assert outcome.traceback is None, outcome.traceback
    assert outcome.exit_code == 0, f"exit {outcome.exit_code}\nstderr: {outcome.stderr[-2000:]}"
    return outcome


def export_rows(data: Settings | Path) -> list[dict[str, object]]:
    """Every paper of the store, as ``openpapers export`` writes them (the store's observable content)."""
    return [orjson.loads(line) for line in ok(invoke(data, "export", "--format", "jsonl")).stdout_bytes.splitlines()]


def import_log(data: Settings | Path) -> list[dict[str, object]]:
    """``openpapers imports``: the import log, newest first."""
    rows: list[dict[str, object]] = orjson.loads(ok(invoke(data, "imports")).stdout_bytes)
    return rows


_WHERE = re.compile(r"^error: (?P<file>.+?):(?P<line>\d+): \[(?P<field>\S+?)\] (?P<message>\S.*)$")


def error_line(outcome: Outcome) -> re.Match[str]:
    """The parts (file, line, field, message) of the one ``error:`` line a rejected input must print."""
    assert outcome.traceback is None, outcome.traceback
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert outcome.exit_code == 2, f"exit {outcome.exit_code}\nstderr: {outcome.stderr[-2000:]}"
    errors = [ln for ln in outcome.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, outcome.stderr
    found = _WHERE.match(errors[0])
    assert found is not None, f"error line does not name file:line: [field]: {errors[0]!r}"
    return found
