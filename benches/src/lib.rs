//! Shared code for the workload benches (W1…W9, defined in `benches/README.md`).
//!
//! Each workload's measured work lives in one module here, so the criterion bench
//! (`benches/<id>_<name>.rs`, small batches for regression tracking) and the workload binary
//! (`src/bin/<id>.rs`, the full-size run compared with the peers by `run.sh`) time the same
//! code. The peers' programs (`peers/go`, `peers/bdwgc`) mirror these modules line for
//! line; a comment at each kernel says what its peer does.
//!
//! - `report.rs`: the `metric <name> <value> <unit>` lines `run.sh` reads, peak RSS.
//! - `w1.rs`: W1 "GCBench" (Boehm's GCBench: stretch, long-lived, top-down and bottom-up trees).
//! - `w2.rs`: W2 "binary-trees" (the Benchmarks Game program, single-threaded).
//! - `w3.rs`: W3 "alloc" (16 B / 64 B / 512 B allocation with a ring of 1,000 roots).
//! - `w5.rs`: W5 "weak" (weak pointers: create, upgrade, clearing, upgrades under collections).
//! - `w6.rs`: W6 "cleanup" (1M cleanups: registration, then one collection and the wait for all).
//! - `w7.rs`: W7 "mark" (full-collection mark rate, random and local links).
//! - `w8.rs`: W8 "sched" kernels: spawn+join, channel ping-pong, yield, timer reset.
//! - `w12.rs`: W12 "stress under load": the scenarios the `w12` soak driver runs.

#![warn(missing_docs)]

pub mod report;
pub mod w1;
pub mod w12;
pub mod w2;
pub mod w3;
pub mod w4;
pub mod w5;
pub mod w6;
pub mod w7;
pub mod w8;
