#!/usr/bin/env bash
# W11 "echo" (shared/WORKLOADS.md): Tricolor (`src/bin/w11.rs`, tricolor_runtime::net), Go's
# `net` (`peers/go/w11_echo`) and tokio (`src/bin/w11_tokio.rs`) side by side: 100 loopback
# connections × 1 KiB messages; round trips per second, p50/p99 latency (µs), threads. tokio
# is a third peer that run.sh's table has no column for, so W11 has its own script.
#
#   bash benches/w11.sh [--secs S] [--procs "1 2"] [--repeat N]
#
# Go: $GO, else the one run.sh installs (benches/peers/.cache/go127). Medians over REPEAT runs,
# alternating which side goes first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${TRICOLOR_PEERS_CACHE:-$ROOT/benches/peers/.cache}
SECS=${SECS:-10} PROCS=${PROCS:-"1 2"} REPEAT=${REPEAT:-3}
while [[ $# -gt 0 ]]; do
  case $1 in
    --secs) SECS=${2:?}; shift 2 ;;
    --procs) PROCS=${2:?}; shift 2 ;;
    --repeat) REPEAT=${2:?}; shift 2 ;;
    -h|--help) sed -n 2,11p "$0"; exit 0 ;;
    *) echo "w11.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
GO=${GO:-$CACHE/go127/go/bin/go}
[[ -x $GO ]] || { echo "w11.sh: no go binary at $GO (run benches/run.sh once, or set GO)" >&2; exit 2; }
export GOTOOLCHAIN=local GOCACHE=${GOCACHE:-$CACHE/gocache} GOPATH=${GOPATH:-$CACHE/gopath}
cargo build --release -q -p tricolor-benches --bin w11 --bin w11_tokio
mkdir -p "$CACHE/bin"
(cd "$ROOT/benches/peers/go" && "$GO" build -o "$CACHE/bin/w11_echo" ./w11_echo)
run() { # side procs
  case $1 in
    tricolor) TRICOLOR_PROCS=$2 "$ROOT/target/release/w11" --secs "$SECS" ;;
    tokio) TRICOLOR_PROCS=$2 "$ROOT/target/release/w11_tokio" --secs "$SECS" ;;
    go) GOMAXPROCS=$2 "$CACHE/bin/w11_echo" -secs "$SECS" ;;
  esac
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
printf '| procs | metric | tricolor | go | tokio |\n|---|---|---|---|---|\n'
for p in $PROCS; do
  declare -A vals=()
  sides=(tricolor go tokio)
  for ((r = 0; r < REPEAT; r++)); do
    for s in "${sides[@]}"; do
      while read -r _ name v _; do vals[$s.$name]+="$v "; done < <(run "$s" "$p" | grep '^metric')
    done
    sides=("${sides[@]:1}" "${sides[0]}")
  done
  for m in rtt_per_sec p50 p99 threads; do
    row="| $p | $m |"
    for s in tricolor go tokio; do row+=" $(tr ' ' '\n' <<<"${vals[$s.$m]}" | grep . | median) |"; done
    echo "$row"
  done
done
