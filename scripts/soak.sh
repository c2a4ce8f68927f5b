#!/usr/bin/env bash
# The W12 soak: every stress scenario (benches/src/w12.rs) in a loop for MINUTES (default 30),
# each run a child process with 2 × cores procs, `cores` CPU-hog processes beside it, and
# TRICOLOR_DEBUG=gccheckmark=1,poisonfree=1. Exits 1 if any run failed, crashed or hung; the
# log shows each run and a summary table.
#
#   scripts/soak.sh [MINUTES] [extra w12 flags: --procs P --hogs H --secs S --scenarios "..."]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
shift || true
cargo build --release -p tricolor-benches --bin w12
exec target/release/w12 --minutes "$minutes" --secs 10 "$@"
