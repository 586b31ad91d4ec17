"""Where the seed captures (``../shared/seeds``) are, for every test that reads them: one lookup, one precedence.

``$OPENPAPERS_SEEDS`` wins when it holds the captures asked for (CI sets it); otherwise the folder beside the
repository. A test whose captures are in neither place is skipped, saying how to provide them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def seeds_dir(needed: Iterable[str] = ()) -> Path:
    """The seeds folder holding every file of ``needed`` (any non-empty folder when ``needed`` is empty)."""
    names = list(needed)
    env = os.environ.get("OPENPAPERS_SEEDS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "seeds")
    for path in candidates:
        if names and all((path / name).is_file() for name in names):
            return path
        if not names and path.is_dir() and any(path.glob("*.txt")):
            return path
    pytest.skip("seed pages not found (set OPENPAPERS_SEEDS or put shared/seeds beside the repo)")
