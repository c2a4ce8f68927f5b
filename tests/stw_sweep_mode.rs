//! `TRICOLOR_DEBUG=gcstoptheworld=2` (Go's debug mode of the same name): the stop-the-world
//! collector, and no concurrent sweeping — a cycle returns with the whole heap swept. Seen from
//! a program: right after the allocation that triggered a cycle returns, every object that died
//! before it is counted freed (with `gcstoptheworld=1` the background sweeper and later
//! allocations free them over time).

use tricolor::gc::{stats, Gc};
use tricolor::runtime::Runtime;

#[test]
fn a_heap_triggered_cycle_returns_with_everything_swept() {
    std::env::set_var("TRICOLOR_DEBUG", "gcstoptheworld=2");
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        for round in 0..5 {
            let (n0, before) = (stats().num_gc, stats().mallocs);
            let mut last = before;
            // Garbage until this goroutine's allocation triggers a cycle (nothing keeps it).
            while stats().num_gc == n0 {
                last = stats().mallocs;
                std::hint::black_box(Gc::new([round as u64; 4]));
            }
            let s = stats();
            // Everything allocated before the triggering allocation is dead; a handful of
            // stale words on our stack may keep a few.
            assert!(s.frees + 64 >= last - before, "round {round}: {} freed of {} dead", s.frees, last - before);
        }
    });
}
