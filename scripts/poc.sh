#!/usr/bin/env bash
# The lecture's proof of concept from a fresh clone: installs gansim if it cannot be
# imported (scripts/install.sh), then runs `python -m gansim poc`.
#
#   bash scripts/poc.sh --quick     a quick look: B = 200, no GAN bootstrap, under a minute on
#                                   2 cores; writes into a new temporary folder, never results/
#   bash scripts/poc.sh             the full study: B = 10,000 and the GAN bootstrap on 500
#                                   data sets, about 7 minutes on 2 idle cores (longer on a
#                                   busy machine); recomputes and rewrites results/poc/
#   bash scripts/poc.sh OPTIONS     passed on to `python -m gansim poc` (see its --help);
#                                   after --quick too, e.g. --quick --n-jobs 1
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python}
if ! "$PY" -c "import gansim" >/dev/null 2>&1; then
    bash scripts/install.sh
fi
if [ "${1:-}" = "--quick" ]; then
    shift
    out=$(mktemp -d "${TMPDIR:-/tmp}/gansim-poc-quick.XXXXXX")
    echo "A quick look: B = 200 replications, no GAN bootstrap; results in $out" \
         "(results/ is not touched)." >&2
    exec "$PY" -m gansim poc -B 200 --gan-bootstrap 0 --out "$out" "$@"
fi
if [ "$#" -eq 0 ]; then
    echo "The full proof of concept: B = 10,000 and the GAN bootstrap on 500 data sets," \
         "about 7 minutes on 2 idle cores; it recomputes and rewrites results/poc/" \
         "(then python -m gansim report renders its README). For a quick look:" \
         "bash scripts/poc.sh --quick" >&2
fi
exec "$PY" -m gansim poc "$@"
