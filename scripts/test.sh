#!/usr/bin/env bash
# The project's test command (README, .ci/run): lints, every test of every crate, the doc
# examples, and the loom models. Needs only a Rust toolchain (cargo, clippy).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== tests (unit, integration, examples, doc)"
cargo test --workspace
echo "== benches compile"
cargo build --workspace --benches
echo "== loom models"
scripts/loom.sh
echo "== all passed"
