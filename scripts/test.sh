#!/usr/bin/env bash
# Install, then run the whole test suite. pytest's exit code 5 (no tests collected) fails.
# The tests are spread over one pytest process per core (pytest-xdist; each process runs
# torch on one thread, tests/conftest.py); GANSIM_TEST_JOBS=1 runs them in one process.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || exit 1
PY=${PYTHON:-python}
JOBS=${GANSIM_TEST_JOBS:-$(nproc 2>/dev/null || echo 1)}
if [ "$JOBS" -gt 1 ] && "$PY" -c "import xdist" >/dev/null 2>&1; then
    "$PY" -m pytest -q -n "$JOBS" "$@"
else
    "$PY" -m pytest -q "$@"
fi
rc=$?
if [ "$rc" -eq 5 ]; then
    echo "pytest collected no tests: failing on purpose" >&2
    exit 1
fi
exit "$rc"
