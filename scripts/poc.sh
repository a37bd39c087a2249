#!/usr/bin/env bash
# Install, then run the proof-of-concept study with the seed's settings (writes results/poc/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
PY=${PYTHON:-python}
exec "$PY" -m gansim poc "$@"
