#!/usr/bin/env bash
# The same Tricolor workload binaries with the concurrent collector (the default) and the
# stop-the-world one (TRICOLOR_DEBUG=gcstoptheworld=1), alternating which goes first, REPEAT
# runs each; prints the median of every metric per collector and the ratio concurrent/STW
# (issue 10: W1, W2, W3 and W7 within 10% of the stop-the-world figures).
#
#   bash benches/conc_vs_stw.sh [--workloads "w1 w2 w3 w7"] [--repeat N] [--procs P]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKLOADS="w1 w2 w3 w7"
REPEAT=3
PROCS=2
while [[ $# -gt 0 ]]; do
  case $1 in
    --workloads) WORKLOADS=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --procs) PROCS=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$ROOT"
cargo build --release -p tricolor-benches --bins >&2
OUTDIR=$(mktemp -d)
for w in $WORKLOADS; do
  for r in $(seq "$REPEAT"); do
    if (( r % 2 )); then order="0 1"; else order="1 0"; fi
    for stw in $order; do
      start=$(date +%s%N)
      TRICOLOR_PROCS=$PROCS TRICOLOR_DEBUG=gcstoptheworld=$stw "target/release/$w" > "$OUTDIR/$w.$stw.$r" 2>&1
      end=$(date +%s%N)
      echo "metric process_wall $(( (end - start) / 1000000 )) ms" >> "$OUTDIR/$w.$stw.$r"
    done
  done
done
echo "| workload | metric | concurrent | stop-the-world | ratio |"
echo "|---|---|---|---|---|"
for w in $WORKLOADS; do
  python3 - "$OUTDIR" "$w" "$REPEAT" <<'PY'
import sys, statistics, collections
d, w, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
vals = {0: collections.defaultdict(list), 1: collections.defaultdict(list)}
units = {}
for stw in (0, 1):
    for r in range(1, n + 1):
        for line in open(f"{d}/{w}.{stw}.{r}"):
            p = line.split()
            if len(p) >= 4 and p[0] == "metric":
                vals[stw][p[1]].append(float(p[2])); units[p[1]] = p[3]
for m in vals[0]:
    c, s = statistics.median(vals[0][m]), statistics.median(vals[1].get(m, [float("nan")]))
    ratio = c / s if s else float("nan")
    print(f"| {w} | {m} | {c:.2f} {units[m]} | {s:.2f} {units[m]} | {ratio:.2f} |")
PY
done
rm -rf "$OUTDIR"
