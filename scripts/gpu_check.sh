#!/usr/bin/env bash
# The one prepared check to run when a GPU machine is lent: installs gansim from
# this working tree (no network needed), names the GPU and the versions, runs the device
# tests, then benchmarks/bench_gpu.py -- all within about 8 minutes -- and writes everything
# to one folder:
#
#     OUT=/some/folder bash scripts/gpu_check.sh      # default OUT: ./gpu_check_out
#
# $OUT receives env.txt (nvidia-smi, versions), tests.log, bench.log, gpu.md and gpu.json
# (the last two only where a CUDA GPU was found).  Without a GPU it runs the tests' CPU cases
# (the CUDA cases skip), the benchmark says "no CUDA GPU: nothing measured", and the script
# ends with code 0; it ends with the tests' code when a test fails.
#
# Time limits (seconds, each overridable), together under 8 minutes with the install:
# GANSIM_TEST_TIMEOUT (140) for the tests, GANSIM_BENCH_BUDGET (210) for the benchmark's
# measurements, which it stops starting after that, and GANSIM_BENCH_TIMEOUT (300) as a hard
# stop; a benchmark cut short keeps what it measured in gpu.md and gpu.json (written after
# every measurement).  Arguments go to bench_gpu.py (--quick: small sizes, about 2 minutes).
set -u -o pipefail

cd "$(dirname "$0")/.."
OUT="${OUT:-$PWD/gpu_check_out}"
mkdir -p "$OUT"
PY="${PYTHON:-python3}"
start=$(date +%s)

{
    echo "== gansim GPU check, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git status --short 2>/dev/null | head -20
    echo "== nvidia-smi"
    nvidia-smi 2>&1 || echo "nvidia-smi: not available (no NVIDIA driver here)"
} > "$OUT/env.txt"

# Install without touching the network; fall back to the source tree on the path.
if "$PY" -m pip install --no-deps --no-build-isolation -q -e . >> "$OUT/env.txt" 2>&1; then
    echo "installed gansim (editable)" >> "$OUT/env.txt"
else
    echo "pip install failed: using PYTHONPATH=$PWD" >> "$OUT/env.txt"
    export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi

"$PY" - >> "$OUT/env.txt" 2>&1 <<'EOF'
import os, platform, subprocess
import numpy, scipy, torch
print("== versions")
print("python", platform.python_version(), "| numpy", numpy.__version__, "| scipy",
      scipy.__version__, "| torch", torch.__version__, "| torch CUDA", torch.version.cuda)
try:
    import triton
    print("triton", triton.__version__)
except ImportError:
    print("triton: not installed")
for cc in ("cc", "g++"):
    try:
        print(cc, subprocess.run([cc, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.splitlines()[0])
    except Exception as exc:  # noqa: BLE001
        print(cc, "unavailable:", exc)
print("cores", os.cpu_count())
print("CUDA available:", torch.cuda.is_available())
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print("GPU:", p.name, f"{p.total_memory / 2**30:.1f} GiB,", p.multi_processor_count, "SMs")
from gansim.gan.engine import compiled_unavailable
print("compiled engine on cpu:", compiled_unavailable("cpu") or "available")
if torch.cuda.is_available():
    print("compiled engine on cuda:", compiled_unavailable("cuda") or "available")
EOF
cat "$OUT/env.txt"

echo "== tests (timeout ${GANSIM_TEST_TIMEOUT:-140} s)"
timeout "${GANSIM_TEST_TIMEOUT:-140}" "$PY" -m pytest -q -ra -p no:cacheprovider \
    tests/test_device.py tests/test_engine_compiled.py tests/test_noise.py 2>&1 \
    | tee "$OUT/tests.log"
tests=$?

echo "== benchmark (measurements started within ${GANSIM_BENCH_BUDGET:-210} s, hard stop ${GANSIM_BENCH_TIMEOUT:-300} s)"
timeout "${GANSIM_BENCH_TIMEOUT:-300}" "$PY" benchmarks/bench_gpu.py --out "$OUT" \
    --budget-s "${GANSIM_BENCH_BUDGET:-210}" "$@" 2>&1 | tee "$OUT/bench.log"
bench=$?

echo "== done in $(( $(date +%s) - start )) s: tests exit $tests, benchmark exit $bench; files in $OUT:"
ls -l "$OUT"
if [ "$tests" -ne 0 ]; then exit "$tests"; fi
exit "$bench"
