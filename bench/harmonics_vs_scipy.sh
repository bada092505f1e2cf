#!/usr/bin/env bash
# Times anneal's shift-invert Lanczos and scipy's eigsh side by side, in one run, on the cortex mesh
# Laplacian of data/README.md, for k = 100 and k = 200, with BLAS on one thread; prints the ratios
# (wall clock, and CPU time, which other work on the machine disturbs less), the load average, and
# anneal's peak memory at k = 200. scipy runs twice per k: with eigsh's default tol (machine
# precision, residuals near 1e-12) and with tol=5e-9, the residual guarantee anneal stops at
# (bench/scipy_cortex.py explains the conversion); both ratios are printed.
# Usage: bench/harmonics_vs_scipy.sh
# scipy is installed from PyPI into a venv ($SCIPY_VENV, default /tmp/scipy-venv) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
venv="${SCIPY_VENV:-/tmp/scipy-venv}"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import scipy" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet scipy numpy
fi

cargo bench --bench cortex_harmonics --no-run >/dev/null 2>&1
binary=$(cargo bench --bench cortex_harmonics --no-run --message-format=json 2>/dev/null \
    | grep -o '"executable":"[^"]*cortex_harmonics[^"]*"' | tail -1 | cut -d'"' -f4)

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
ours=$(mktemp) theirs=$(mktemp) memory=$(mktemp)
trap 'rm -f "$ours" "$theirs" "$memory"' EXIT
"$binary" 100 200 | tee "$ours"
/usr/bin/time -v "$binary" 200 2>"$memory" >/dev/null
"$venv/bin/python" bench/scipy_cortex.py data/tvb/cortex_16384.zip 100 200 | tee "$theirs"

peak_kb=$(grep "Maximum resident set size" "$memory" | awk '{print $NF}')
echo "anneal peak memory at k=200: $((peak_kb / 1024)) MB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
field() { grep "^$1 k=$2 " "$3" | sed "s/.* $4=\([0-9.]*\).*/\1/"; }
for k in 100 200; do
    for scipy in scipy scipy_tol; do
        a=$(field anneal "$k" "$ours" seconds) s=$(field "$scipy" "$k" "$theirs" seconds)
        ac=$(field anneal "$k" "$ours" cpu_seconds) sc=$(field "$scipy" "$k" "$theirs" cpu_seconds)
        awk -v k="$k" -v who="$scipy" -v a="$a" -v s="$s" -v ac="$ac" -v sc="$sc" 'BEGIN {
            printf "k=%d against %s: wall anneal %.3f s, scipy %.3f s, ratio %.3f; cpu anneal %.3f s, scipy %.3f s, ratio %.3f (target <= 0.25)\n", k, who, a, s, a / s, ac, sc, ac / sc }'
    done
done
