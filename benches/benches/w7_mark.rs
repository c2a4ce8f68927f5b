//! W7 "mark" as criterion benches: the time of one explicit full collection (`collect()`: mark
//! and finish the sweep) of a live heap of 32 MiB of 4-pointer nodes (1,048,576 nodes), built
//! once per shape (random links, then local links) and kept by a `Root` across batches.
//! Throughput is the nodes' bytes (32 B each, as W7's `mark_rate` counts them), so criterion
//! reports the mark rate. The side-by-side comparison at W7's 256 MiB is `src/bin/w7.rs` run
//! by `run.sh`; both use `tricolor_benches::w7`.
//!
//! Every measured batch runs inside one `block_on` (`iter_custom`). Procs are fixed per
//! process (`TRICOLOR_PROCS`, read once), so 1 and 2 procs need separate runs; the bench ids
//! carry the count (`mark/random/procs=2`):
//!
//! ```text
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w7_mark
//! TRICOLOR_PROCS=2 cargo bench -p tricolor-benches --bench w7_mark
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tricolor_benches::w7::{self, nodes_for_mib, Shape, NODE_SIZE};
use tricolor_runtime::{block_on, Runtime};

/// MiB of nodes in the live heap.
const MIB: usize = 32;

fn w7_mark(c: &mut Criterion) {
    let procs = Runtime::global().config().procs;
    let n = nodes_for_mib(MIB);
    let mut g = c.benchmark_group("mark");
    g.throughput(Throughput::Bytes((n * NODE_SIZE) as u64));
    for shape in [Shape::Random, Shape::Local] {
        // Built once; the Root keeps the graph live between batches (and across `block_on`s).
        let root = block_on(move || {
            let root = w7::build(shape, n);
            tricolor_gc::collect(); // the build array is garbage now
            root
        });
        g.bench_function(BenchmarkId::new(shape.name(), format!("procs={procs}")), |b| {
            b.iter_custom(|iters| block_on(move || w7::collections(iters as u32)))
        });
        let got = block_on(move || {
            let got = w7::count_tree(Some(root.get()));
            drop(root);
            got
        });
        assert_eq!(got, n, "w7 {}: nodes lost", shape.name());
        block_on(tricolor_gc::collect); // frees this shape's graph before the next is built
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // About 20 s; criterion's flags (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(10);
    targets = w7_mark
}
criterion_main!(benches);
