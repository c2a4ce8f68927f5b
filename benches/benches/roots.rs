//! Root creation and the channel buffer's cost: `Root::new` + drop of a `Gc` on one goroutine
//! and on four goroutines at once (where a global root table serialises them), and a
//! `bounded(64)` send + receive on one goroutine (the buffered fast path, which shades the
//! value it moves while marking; marking is off here).
//!
//! ```text
//! TRICOLOR_PROCS=2 cargo bench -p tricolor-benches --bench roots
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::{Duration, Instant};
use tricolor_gc::{Gc, Root, Trace};
use tricolor_runtime::gsync::chan;
use tricolor_runtime::{block_on, go, Runtime};

#[derive(Trace)]
struct Leaf {
    id: u64,
}

/// `Root::new` + drop, `n` times, of `leaf`.
fn root_loop(leaf: Gc<Leaf>, n: u64) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        let r = Root::new(std::hint::black_box(leaf));
        std::hint::black_box(&r);
        drop(r);
    }
    t.elapsed()
}

fn roots(c: &mut Criterion) {
    let procs = Runtime::global().config().procs;
    let mut g = c.benchmark_group("roots");
    g.bench_function(BenchmarkId::new("root_new_drop", format!("procs={procs}")), |b| {
        b.iter_custom(|iters| block_on(move || root_loop(Gc::new(Leaf { id: 1 }), iters)))
    });
    // Four goroutines each create and drop `iters` roots; the time is the wall time over
    // `iters` (so per-root cost is this divided by four where they run in parallel).
    g.bench_function(BenchmarkId::new("root_new_drop_x4", format!("procs={procs}")), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let t = Instant::now();
                let hs: Vec<_> = (0..4).map(|_| go(move || root_loop(Gc::new(Leaf { id: 2 }), iters))).collect();
                for h in hs {
                    h.join().expect("roots bench goroutine panicked");
                }
                t.elapsed()
            })
        })
    });
    g.bench_function(BenchmarkId::new("chan_buffered_send_recv", format!("procs={procs}")), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let (tx, rx) = chan::bounded::<u64>(64);
                let t = Instant::now();
                for i in 0..iters {
                    tx.send(i).expect("roots bench: channel closed");
                    std::hint::black_box(rx.recv().expect("roots bench: channel closed"));
                }
                t.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = roots
}
criterion_main!(benches);
