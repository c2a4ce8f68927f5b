//! W3 "alloc" as criterion benches: one allocation per iteration (16 B, 64 B, 512 B of
//! pointerful payload), each stored into a ring of 1,000 roots with its first field pointing at
//! itself, as `src/bin/w3.rs` and the peers do; collections the loop triggers included. The
//! side-by-side comparison at W3's full size is `src/bin/w3.rs` run by `run.sh`; both time
//! `tricolor_benches::w3::alloc_loop`.
//!
//! Every measured batch runs inside one `block_on` (`iter_custom`) with a fresh ring. The
//! runtime is process-wide and takes its procs from `TRICOLOR_PROCS` once, so a run measures
//! one procs count; the bench ids carry it (`alloc/16b/procs=2`).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench w3_alloc
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w3_alloc -- 16b
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tricolor_benches::w3::{alloc_loop, new_ring, Obj, Obj16, Obj512, Obj64};
use tricolor_runtime::{block_on, Runtime};

fn bench_size<T: Obj>(g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>, size: &str) {
    let procs = Runtime::global().config().procs;
    g.bench_function(BenchmarkId::new(size, format!("procs={procs}")), |b| {
        b.iter_custom(|iters| block_on(move || alloc_loop(new_ring::<T>(), iters)))
    });
}

fn w3_alloc(c: &mut Criterion) {
    let mut g = c.benchmark_group("alloc");
    g.throughput(Throughput::Elements(1));
    bench_size::<Obj16>(&mut g, "16b");
    bench_size::<Obj64>(&mut g, "64b");
    bench_size::<Obj512>(&mut g, "512b");
    g.finish();
}

criterion_group! {
    name = benches;
    // Short enough that the whole file runs in about 15 s; criterion's flags
    // (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = w3_alloc
}
criterion_main!(benches);
