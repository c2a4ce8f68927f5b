//! W2 "binary-trees" as a criterion bench: the whole program at N = 14 per iteration (the
//! standard lines are formatted and dropped). The side-by-side comparison at W2's N = 21 is
//! `src/bin/w2.rs` run by `run.sh`; both run `tricolor_benches::w2::run`.
//!
//! Every measured batch runs inside one `block_on` (`iter_custom`). The runtime is
//! process-wide and takes its procs from `TRICOLOR_PROCS` once; the bench id carries it
//! (`binary_trees/n=14/procs=2`).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench w2_binarytrees
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w2_binarytrees
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use std::time::Duration;
use tricolor_benches::w2;
use tricolor_runtime::{block_on, Runtime};

/// N per iteration: about 3.2 million allocations.
const N: u32 = 14;

fn w2_binarytrees(c: &mut Criterion) {
    let procs = Runtime::global().config().procs;
    let mut g = c.benchmark_group("binary_trees");
    g.bench_function(BenchmarkId::new(format!("n={N}"), format!("procs={procs}")), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += w2::run(N, &mut |line| {
                        black_box(line.to_string());
                    });
                }
                total
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // About 15 s; criterion's flags (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .sample_size(10);
    targets = w2_binarytrees
}
criterion_main!(benches);
