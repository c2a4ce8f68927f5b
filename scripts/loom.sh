#!/usr/bin/env bash
# Runs the loom models (src/tests/loom_*.rs in each crate) under `--cfg loom`.
#
# Models are small by design (STYLE 22): capacity-4 run queues, two or three threads, two or
# three operations each. LOOM_MAX_PREEMPTIONS defaults to 3, which explores every model
# exhaustively within that bound; measured on the 2-core dev machine (2026-11-23):
#   tricolor-runtime: 14 models (2026-12-01: + the Syscall P ownership pair; 2026-12-02: + the
#   netpoll waiter slot, four models), ~2 s of model time (build ~50 s).
#   tricolor-gc: 23 models (the lock-free work list, weak upgrade vs clear and vs the
#   termination block, the sweep ownership protocol and three models showing the old protocol's
#   failures, mark termination, the assist queue), ~1 s (build ~75 s; measured 2026-12-01).
#   tricolor-cleanup: 3 models (the pool protocol; its 4-thread model is bounded at 2
#   preemptions in the test itself), ~80 s.
# Models must be built with debug assertions: the protocols' invariants are debug_asserts too.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTFLAGS="${RUSTFLAGS:-} --cfg loom -C debug-assertions=on"
export LOOM_MAX_PREEMPTIONS="${LOOM_MAX_PREEMPTIONS:-3}"
export RUST_BACKTRACE=0
crates="${*:-tricolor-runtime tricolor-gc tricolor-cleanup}"
# The loom build sees different code (cfg(loom) branches): lint it too.
echo "== clippy under cfg(loom)"
cargo clippy $(for c in $crates; do printf -- '-p %s ' "$c"; done) --lib --tests --release --target-dir target/loom -- -D warnings
for c in $crates; do
  echo "== loom: $c (LOOM_MAX_PREEMPTIONS=$LOOM_MAX_PREEMPTIONS)"
  start=$(date +%s)
  cargo test -p "$c" --lib --release --target-dir target/loom -- --test-threads="$(nproc)"
  echo "== loom: $c passed in $(( $(date +%s) - start )) s"
done
