#!/usr/bin/env bash
# Set everything up and run openpapers on the bundled demo corpus (the papers of the seed pages).
# Data lives in $OPENPAPERS_DATA_DIR (default: ./.openpapers-demo), so the demo never touches your real data dir.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OPENPAPERS_DATA_DIR="${OPENPAPERS_DATA_DIR:-$PWD/.openpapers-demo}"
.venv/bin/openpapers import demo
.venv/bin/openpapers stats
echo "Try: .venv/bin/openpapers export --format jsonl | head -1    (data dir: $OPENPAPERS_DATA_DIR)"
