#!/usr/bin/env bash
# Set everything up and serve openpapers on the bundled demo corpus (the papers of the seed pages):
# http://127.0.0.1:8000/ (PORT=... to change). Data lives in $OPENPAPERS_DATA_DIR (default ./.openpapers-demo), so
# the demo never touches your real data dir. Loading the demo twice changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OPENPAPERS_DATA_DIR="${OPENPAPERS_DATA_DIR:-$PWD/.openpapers-demo}"
.venv/bin/openpapers import demo
# No mail server on a laptop: sign-up confirmation and reset links are printed in this terminal instead.
export OPENPAPERS_ACCOUNT_MAIL="${OPENPAPERS_ACCOUNT_MAIL:-log}"
exec .venv/bin/openpapers serve --host 127.0.0.1 --port "${PORT:-8000}"
