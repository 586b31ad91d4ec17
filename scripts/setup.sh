#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install openpapers with its pinned dependencies. Idempotent and quick when
# nothing changed: the install is skipped while pyproject.toml is older than the venv's stamp.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.openpapers-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  # pip's index warnings about absent local mirrors are noise; real errors still fail the script.
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' 2>&1 \
    | { grep -v "^WARNING: Location '" || true; }
  touch "$stamp"
fi
