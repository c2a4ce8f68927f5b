//! W1 "GCBench" as a criterion bench: the whole of GCBench at a reduced size per iteration
//! (`tricolor_benches::w1::SMALL`: stretch 14, long-lived 12, depths 4..12, 50,000 doubles;
//! about 1/16 of the work). The side-by-side comparison at W1's full size is `src/bin/w1.rs`
//! run by `run.sh`; both run `tricolor_benches::w1::run`.
//!
//! Every measured batch runs inside one `block_on` (`iter_custom`). The runtime is
//! process-wide and takes its procs from `TRICOLOR_PROCS` once; the bench id carries it.
//!
//! ```text
//! cargo bench -p tricolor-benches --bench w1_gcbench
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w1_gcbench
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use tricolor_benches::w1;
use tricolor_runtime::{block_on, Runtime};

fn w1_gcbench(c: &mut Criterion) {
    let procs = Runtime::global().config().procs;
    let p = w1::SMALL;
    let mut g = c.benchmark_group("gcbench");
    g.bench_function(BenchmarkId::new(format!("stretch={}", p.stretch), format!("procs={procs}")), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += w1::run(&p, &mut |_| {});
                }
                total
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // About 12 s; criterion's flags (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(6))
        .sample_size(10);
    targets = w1_gcbench
}
criterion_main!(benches);
