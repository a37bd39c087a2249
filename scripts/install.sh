#!/usr/bin/env bash
# Install gansim and its test tools into the active Python.
# torch first, as the CPU build, when it is missing: a bare `torch` requirement would
# otherwise pull a multi-GB CUDA build from the registry.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
    "$PY" -m pip install --quiet "torch==2.13.0"
fi
# The dask extra too, so CI runs tests/test_dask.py; should it fail to install (no index,
# a wheel missing for this Python), the plain install still runs and those tests skip.
"$PY" -m pip install --quiet -e ".[test,dask]" || "$PY" -m pip install --quiet -e ".[test]"
