//! Shared helpers for the workload benches.
