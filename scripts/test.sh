#!/usr/bin/env bash
# The project's test command (README, .ci/run): lints, every test of every crate in debug and
# release, the doc examples, one round of the W12 stress scenarios, and the loom models. Needs
# only a Rust toolchain (cargo, clippy).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== format (rustfmt.toml)"
cargo fmt --all -- --check
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests (unit, integration, examples, doc)"
cargo test --workspace
echo "== tests again, release build (the optimizer changes what the conservative stack scan sees)"
cargo test --workspace --release
echo "== the stop-the-world collector (gcstoptheworld=1): the façade's and the weak and cleanup layers' tests, release"
TRICOLOR_DEBUG=gcstoptheworld=1 cargo test --release -p tricolor -p tricolor-weak -p tricolor-cleanup --tests
echo "== benches compile"
cargo build --workspace --benches
echo "== stress under load (W12, one round: more procs than cores, CPU hogs, checkmark+poisonfree)"
cargo build --release -p tricolor-benches --bin w12
target/release/w12 --secs 3
echo "== loom models"
scripts/loom.sh
echo "== all passed"
