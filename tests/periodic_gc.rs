//! Issue 11 (reference §7.3, Go's `forcegc`): a program that stops allocating still gets a
//! collection when none has run for the period — two minutes by default, 50 ms here through
//! `TRICOLOR_DEBUG=forcegcperiod=50` — started by sysmon through the collector's helper
//! goroutine. Garbage made before the pause is freed without anyone calling `collect()`
//! (measured in bytes: a stale word may keep one object, never a megabyte of them).

use std::time::{Duration, Instant};
use tricolor::gc::{stats, Gc};
use tricolor::runtime::{go, sleep, Runtime};

#[test]
fn an_idle_program_is_collected_periodically() {
    std::env::set_var("TRICOLOR_DEBUG", "forcegcperiod=50");
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        // About 2 MiB of garbage, made on a goroutine of its own (which also starts the
        // periodic helper with its first refill); below the 4 MiB goal, so only the periodic
        // collection frees it.
        go(|| {
            for i in 0..32_768u64 {
                std::hint::black_box(Gc::new([i; 7]));
            }
        })
        .join()
        .unwrap();
        let s0 = stats();
        let t = Instant::now();
        while stats().num_periodic_gc < s0.num_periodic_gc + 2 && t.elapsed() < Duration::from_secs(20) {
            sleep(Duration::from_millis(10));
        }
        let s = stats();
        assert!(
            s.num_periodic_gc >= s0.num_periodic_gc + 2,
            "{} periodic collections in {:?}",
            s.num_periodic_gc - s0.num_periodic_gc,
            t.elapsed()
        );
        assert!(s.num_gc > s0.num_gc);
        assert!(s0.heap_alloc > 1 << 20, "the garbage was not allocated ({} bytes live)", s0.heap_alloc);
        assert!(s.heap_alloc < s0.heap_alloc / 2, "the periodic collections freed too little: {} -> {} bytes", s0.heap_alloc, s.heap_alloc);
    });
}
