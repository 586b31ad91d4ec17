#!/usr/bin/env bash
# Set everything up and run the checks: ruff (lint), mypy (types, --check-untyped-defs on src/) and the full
# pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests bench scripts
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
