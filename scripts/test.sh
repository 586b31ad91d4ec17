#!/usr/bin/env bash
# Set everything up and run the checks: ruff (lint) and the full pytest suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check src tests bench scripts
.venv/bin/python -m pytest "$@"
