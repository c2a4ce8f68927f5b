//! The write barrier's cost: `GcCell::set` of a heap pointer with marking off (one load and a
//! branch) and while a concurrent cycle marks (shade old and new into the P's buffer, flushed
//! into its mark work every 256 entries), and the same for `raw::write_ptr`. Marking is kept
//! on by a background `collect()` over a 256 MiB live graph (W7's random shape), restarted
//! whenever a batch finds it over; a batch that saw marking end counts anyway (few do: a mark
//! of that heap takes about a second, a batch milliseconds). The marking case needs two procs
//! or more (with one, the collection marks to its end once it runs).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench barrier
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::{Duration, Instant};
use tricolor_benches::w7::{self, nodes_for_mib, Shape};
use tricolor_gc::internals::marking;
use tricolor_gc::{Gc, GcCell, Root, Trace};
use tricolor_runtime::{block_on, go, Runtime};

/// Slots the loop stores into (a cache-resident set, as a VM's hot objects are).
const SLOTS: usize = 1024;
/// Stores per criterion iteration: a batch must be long against the wait for marking to start,
/// which criterion's warm-up would otherwise count as the iteration's cost.
const STORES: u64 = 10_000;

#[derive(Trace)]
struct Leaf {
    id: u64,
}

#[derive(Trace)]
struct Slots {
    cells: [GcCell<Option<Gc<Leaf>>>; SLOTS],
}

fn stores(slots: Gc<Slots>, leaves: &[Gc<Leaf>; 2], iters: u64) -> Duration {
    let t = Instant::now();
    for i in 0..(iters * STORES) as usize {
        slots.cells[i % SLOTS].set(Some(leaves[i & 1]));
    }
    t.elapsed()
}

/// Starts a background collection if none runs and waits until marking is on (a collection
/// that ran its whole mark while we waited is started again).
fn ensure_marking() {
    let mut h = None;
    while !marking() {
        if h.as_ref().is_none_or(|h: &tricolor_runtime::JoinHandle<()>| h.is_finished()) {
            h = Some(go(tricolor_gc::collect));
        }
        tricolor_runtime::yield_now();
    }
}

fn barrier(c: &mut Criterion) {
    let procs = Runtime::global().config().procs;
    let graph = block_on(|| {
        let g = w7::build(Shape::Random, nodes_for_mib(256));
        tricolor_gc::collect();
        g
    });
    let (slots, leaves) = block_on(|| {
        let slots = Root::new(Gc::new(Slots { cells: std::array::from_fn(|_| GcCell::new(None)) }));
        (slots, [Root::new(Gc::new(Leaf { id: 1 })), Root::new(Gc::new(Leaf { id: 2 }))])
    });
    let mut g = c.benchmark_group("barrier");
    g.throughput(criterion::Throughput::Elements(STORES));
    // With one P the collection's goroutine marks to the end once it runs (it yields only when
    // it has no work), so no batch would ever see marking on: that case needs two procs.
    for on in [false, true].into_iter().filter(|&on| !on || procs >= 2) {
        let id = BenchmarkId::new(if on { "set/marking" } else { "set/off" }, format!("procs={procs}"));
        g.bench_function(id, |b| {
            b.iter_custom(|iters| {
                block_on(|| {
                    if on {
                        ensure_marking();
                    } else {
                        while marking() {
                            tricolor_runtime::yield_now();
                        }
                    }
                    stores(slots.get(), &[leaves[0].get(), leaves[1].get()], iters)
                })
            })
        });
    }
    g.finish();
    block_on(|| {
        while marking() {
            tricolor_runtime::yield_now();
        }
        assert!(leaves.iter().all(|l| l.get().id > 0));
    });
    drop(graph);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = barrier
}
criterion_main!(benches);
