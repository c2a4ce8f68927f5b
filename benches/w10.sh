#!/usr/bin/env bash
# W10 "lox": the benchmark programs of the Lox suite run by Tricolor's Lox VM (clients/lox) and
# by clox, the book's C VM, whole process: wall seconds and peak RSS per program; zoo_batch
# reports the batches it finished in its fixed 10 s (more is better). Its peer is clox, not Go
# or bdwgc, so it has its own script beside run.sh.
#
#   bash benches/w10.sh [--repeat N] [--procs P] [--programs "fib trees"] [--stress-gc]
#
# Builds clox with `gcc -O2` into benches/peers/.cache/clox and `lox` with cargo --release.
# Each program runs REPEAT times per side (default 3), alternating which side goes first; the
# table shows medians and tricolor/clox ratios (below 1: Tricolor is faster or smaller).
# Environment: LOX_DIR (default ../shared/lox beside the checkout), CC, CARGO, REPEAT, PROCS.
# string_equality does not compile in clox (over 256 constants in one chunk): Tricolor only.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LOX_DIR=${LOX_DIR:-$ROOT/../shared/lox}
CACHE=${TRICOLOR_PEERS_CACHE:-$ROOT/benches/peers/.cache}
REPEAT=${REPEAT:-3}
PROCS=${PROCS:-1}
CC=${CC:-gcc}
CARGO=${CARGO:-cargo}
PROGRAMS=${PROGRAMS:-"binary_trees equality fib instantiation invocation method_call properties string_equality trees zoo zoo_batch"}
STRESS=()

die() { echo "w10.sh: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --repeat) REPEAT=${2:?}; shift 2 ;;
    --procs) PROCS=${2:?}; shift 2 ;;
    --programs) PROGRAMS=${2:?}; shift 2 ;;
    --stress-gc) STRESS=(--stress-gc); shift ;;
    -h|--help) sed -n 2,13p "$0"; exit 0 ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "--repeat wants a positive count, got '$REPEAT'"
[[ -d $LOX_DIR/test/benchmark && -d $LOX_DIR/c ]] || die "no Lox suite at $LOX_DIR (set LOX_DIR)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is needed for peak RSS"

mkdir -p "$CACHE"
CLOX=$CACHE/clox
if [[ ! -x $CLOX || -n $(find "$LOX_DIR/c" -newer "$CLOX" -name '*.[ch]' 2>/dev/null) ]]; then
  echo "building clox ($CC -O2)" >&2
  "$CC" -O2 -o "$CLOX" "$LOX_DIR"/c/*.c
fi
echo "building lox (cargo --release)" >&2
"$CARGO" build --quiet --release --manifest-path "$ROOT/Cargo.toml" -p tricolor-lox
TARGET_DIR=$("$CARGO" metadata --format-version 1 --no-deps --manifest-path "$ROOT/Cargo.toml" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
LOX=$TARGET_DIR/release/lox
[[ -x $LOX ]] || die "no lox binary at $LOX"

RAW=$(mktemp)
trap 'rm -f "$RAW"' EXIT

# run SIDE PROGRAM: one run; appends "program side seconds kib batches" to $RAW.
run() {
  local side=$1 prog=$2 file=$LOX_DIR/test/benchmark/$2.lox out tfile rc=0 t0 t1 kib batches=-
  tfile=$(mktemp)
  t0=$(date +%s%N)
  case $side in
    tricolor) out=$(TRICOLOR_PROCS=$PROCS /usr/bin/time -f %M -o "$tfile" "$LOX" "${STRESS[@]}" "$file" 2>&1) || rc=$? ;;
    clox) out=$(/usr/bin/time -f %M -o "$tfile" "$CLOX" "$file" 2>&1) || rc=$? ;;
  esac
  t1=$(date +%s%N)
  if [[ $rc -ne 0 ]]; then
    echo "w10: $side $prog exited with status $rc:" >&2
    printf '%s\n' "$out" | tail -5 >&2
    rm -f "$tfile"
    return
  fi
  kib=$(tail -1 "$tfile")
  rm -f "$tfile"
  # zoo_batch prints sum, batches, elapsed: the batch count is the second-to-last line.
  [[ $prog == zoo_batch ]] && batches=$(printf '%s\n' "$out" | tail -2 | head -1)
  echo "$prog $side $(((t1 - t0) / 1000000)) $kib $batches" >>"$RAW"
}

for prog in $PROGRAMS; do
  [[ -f $LOX_DIR/test/benchmark/$prog.lox ]] || die "no benchmark program '$prog'"
  sides=(tricolor clox)
  [[ $prog == string_equality ]] && sides=(tricolor)
  for ((r = 1; r <= REPEAT; r++)); do
    echo "w10: $prog run $r/$REPEAT" >&2
    if ((r % 2)); then order=("${sides[@]}"); else order=(); for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[i]}"); done; fi
    for side in "${order[@]}"; do run "$side" "$prog"; done
  done
done

echo "W10 lox — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, tricolor $(git -C "$ROOT" rev-parse --short HEAD), TRICOLOR_PROCS=$PROCS${STRESS:+, --stress-gc}."
echo "Median of $REPEAT run(s) per side; ratio = tricolor / clox (zoo_batch: batches in 10 s, ratio = clox / tricolor)."
echo
awk -v order="$PROGRAMS" '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  { ms[$1, $2] = ms[$1, $2] " " $3; kib[$1, $2] = kib[$1, $2] " " $4; b[$1, $2] = b[$1, $2] " " $5 }
  END {
    printf "| program | tricolor | clox | ratio | RSS tricolor | RSS clox | RSS ratio |\n|---|---:|---:|---:|---:|---:|---:|\n"
    n = split(order, progs, " ")
    for (i = 1; i <= n; i++) {
      p = progs[i]
      if (!((p, "tricolor") in ms)) { printf "| %s | failed | | | | | |\n", p; continue }
      tk = median(kib[p, "tricolor"]); ck = ((p, "clox") in kib) ? median(kib[p, "clox"]) : 0
      if (p == "zoo_batch") {
        tv = median(b[p, "tricolor"]); cv = ((p, "clox") in b) ? median(b[p, "clox"]) : 0
        printf "| %s | %d batches | %s | %s |", p, tv, cv ? cv " batches" : "—", cv && tv ? sprintf("%.2f", cv / tv) : "—"
      } else {
        tv = median(ms[p, "tricolor"]) / 1000; cv = ((p, "clox") in ms) ? median(ms[p, "clox"]) / 1000 : 0
        printf "| %s | %.2f s | %s | %s |", p, tv, cv ? sprintf("%.2f s", cv) : "—", cv ? sprintf("%.2f", tv / cv) : "—"
      }
      printf " %d MiB | %s | %s |\n", tk / 1024, ck ? sprintf("%d MiB", ck / 1024) : "—", ck ? sprintf("%.2f", tk / ck) : "—"
    }
  }' "$RAW"
