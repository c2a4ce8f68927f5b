//! The write barrier's cost: `GcCell::set` of a heap pointer with marking off (one load and a
//! branch) and while a concurrent cycle marks (shade old and new into the P's buffer, flushed
//! into its mark work every 256 entries). With marking off, the same store through a
//! `GcValue` (a NaN-boxed VM value), `raw::write_ptr` (checked) and `raw::store_ptr`
//! (unchecked) — issue 12's goal: a raw store within 1.5× of `GcCell::set`. Marking is kept
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
use tricolor_gc::{raw, Gc, GcCell, GcValue, Root, Tagging, Trace, TypeInfo, Value};
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

#[derive(Clone, Copy)]
struct Val(u64);
// SAFETY: pointer words are encoded from live leaves; NAN_BOX is registered in `barrier`.
unsafe impl Value for Val {
    const TAGGING: Tagging = Tagging::NAN_BOX;
    fn to_bits(self) -> u64 {
        self.0
    }
    unsafe fn from_bits(b: u64) -> Val {
        Val(b)
    }
}

#[derive(Trace)]
struct ValueSlots {
    cells: [GcValue<Val>; SLOTS],
}

fn value_stores(slots: Gc<ValueSlots>, leaves: &[Gc<Leaf>; 2], iters: u64) -> Duration {
    let words = [Val(Tagging::NAN_BOX.encode(leaves[0].addr())), Val(Tagging::NAN_BOX.encode(leaves[1].addr()))];
    let t = Instant::now();
    for i in 0..(iters * STORES) as usize {
        slots.cells[i % SLOTS].set(words[i & 1]);
    }
    t.elapsed()
}

fn raw_stores(obj: usize, leaves: &[Gc<Leaf>; 2], iters: u64, checked: bool) -> Duration {
    let words = [leaves[0].addr(), leaves[1].addr()];
    let t = Instant::now();
    for i in 0..(iters * STORES) as usize {
        let off = (i % SLOTS) * 8;
        if checked {
            raw::write_ptr(obj, off, words[i & 1]).unwrap();
        } else {
            // SAFETY: every word of `obj` is a pointer word; the leaves are rooted.
            unsafe { raw::store_ptr(obj, off, words[i & 1]) };
        }
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
    // The VM paths, marking off.
    Tagging::NAN_BOX.register();
    let (vslots, robj) = block_on(|| {
        let v = Root::new(Gc::new(ValueSlots { cells: std::array::from_fn(|_| GcValue::new(Val(0))) }));
        let ty = TypeInfo::builder("bench::RawSlots", SLOTS * 8).pointers(&(0..SLOTS).map(|i| i * 8).collect::<Vec<_>>()).build().unwrap();
        let o = raw::alloc(ty).unwrap().as_ptr() as usize;
        // Rooted through a `Gc` of a type whose one field is the raw object's address.
        (v, Root::new(Gc::new(RawRoot(GcCell::new(None), o))))
    });
    for case in ["value/off", "raw_checked/off", "raw_unchecked/off"] {
        g.bench_function(BenchmarkId::new(case, format!("procs={procs}")), |b| {
            b.iter_custom(|iters| {
                block_on(|| {
                    while marking() {
                        tricolor_runtime::yield_now();
                    }
                    let l = [leaves[0].get(), leaves[1].get()];
                    match case {
                        "value/off" => value_stores(vslots.get(), &l, iters),
                        "raw_checked/off" => raw_stores(robj.get().1, &l, iters, true),
                        _ => raw_stores(robj.get().1, &l, iters, false),
                    }
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

/// Keeps a raw object alive: its address in a traced word (`RawRoot::trace`).
struct RawRoot(GcCell<Option<Gc<Leaf>>>, usize);
// SAFETY: reports the raw object's address (a pointer word).
unsafe impl Trace for RawRoot {
    fn trace(&self, t: &mut tricolor_gc::Tracer<'_>) {
        self.0.trace(t);
        t.edge(self.1)
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = barrier
}
criterion_main!(benches);
