//! W5 "weak" as criterion benches, for regressions (the side-by-side comparison at W5's full
//! size is `src/bin/w5.rs` run by `run.sh`); the kernels are `tricolor_benches::w5`'s.
//!
//! - `create`: one weak pointer made for an existing object (a fresh one per iteration,
//!   allocated untimed) and stored into a weak slot.
//! - `upgrade_live`: one upgrade of the same live pointer (`upgrade_hot`), result used.
//! - `upgrade_under_collections`: one upgrade by a reader walking a rotating set of 4,096
//!   entries (half of them weakly reachable only, the objects checked), while another goroutine
//!   runs `collect()` back to back.
//!
//! The runtime is process-wide and takes its procs from `TRICOLOR_PROCS` once, so a run
//! measures one procs count; the bench ids carry it (`upgrade_live/hot/procs=2`).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench w5_weak
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w5_weak -- upgrade_live
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tricolor_benches::w5::{alloc_objects, create, new_obj, new_set, new_weak_array, upgrade_hot, upgrades_under_collections, SET};
use tricolor_runtime::{block_on, Runtime};
use tricolor_weak::Pointer;

fn procs() -> String {
    format!("procs={}", Runtime::global().config().procs)
}

fn w5_create(c: &mut Criterion) {
    let mut g = c.benchmark_group("create");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("weak", procs()), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let n = iters as usize;
                let objs = alloc_objects(n);
                let weak = new_weak_array(n);
                let t = create(objs, weak);
                std::hint::black_box((objs, weak));
                t
            })
        })
    });
    g.finish();
}

fn w5_upgrade_live(c: &mut Criterion) {
    let mut g = c.benchmark_group("upgrade_live");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("hot", procs()), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let o = new_obj(7);
                let w = Pointer::new(&o);
                tricolor_gc::collect(); // a finished, swept cycle, as in the workload
                let u = upgrade_hot(w, 7, iters);
                assert_eq!(u.bad, 0);
                std::hint::black_box(o);
                u.elapsed
            })
        })
    });
    g.finish();
}

fn w5_upgrade_under_collections(c: &mut Criterion) {
    let mut g = c.benchmark_group("upgrade_under_collections");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new(format!("set={SET}"), procs()), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let set = new_set(SET);
                let (t, s) = upgrades_under_collections(set, iters);
                assert_eq!(s.bad, 0, "w5: {} bad upgrades under collections", s.bad);
                std::hint::black_box(set);
                // The reader works in batches of 64: scale to the iterations asked for.
                t.mul_f64(iters as f64 / s.upgrades as f64)
            })
        })
    });
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
    targets = w5_create, w5_upgrade_live, w5_upgrade_under_collections
}
criterion_main!(benches);
