//! Issue 10 (reference §4.4): an allocator in assist debt that finds no mark work parks on the
//! assist queue until background credit pays it or the cycle ends, so the mutator cannot outrun
//! the mark. The scenario: on 2 procs, one goroutine computes for 20 ms at a time between
//! safepoints (its stack job waits for it: no marker may scan a running stack, and the
//! preemption signal is off here), while another
//! allocates (1 KiB of garbage per small live object) as fast as it can. Without the queue the allocator's assists found nothing to do,
//! stopped paying and allocated on past the heap goal until the spinner's next safepoint.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::{stats, Gc, GcArray, GcCell, Root, Trace};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, safepoint, Runtime};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    v: u64,
}

#[test]
fn an_allocator_without_mark_work_waits_for_credit() {
    // Cooperative preemption only: the preemption signal would let the markers scan the
    // spinner's stack at once (issue 11), leaving the assists never without work.
    std::env::set_var("TRICOLOR_DEBUG", "gcstoptheworld=0,gccheckmark=1,asyncpreemptoff=1");
    let _hang = watchdog("assist queue", Duration::from_secs(120));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let spinner = {
            let stop = stop.clone();
            go(move || {
                let mine = Gc::new(Node { next: GcCell::new(None), v: 7 });
                let mut rounds = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_millis(20) {
                        std::hint::spin_loop();
                    }
                    safepoint();
                    rounds += 1;
                }
                assert_eq!(std::hint::black_box(mine).v, 7, "the spinner's node was freed");
                rounds
            })
        };
        // A live set of about 2 MiB, replaced slot by slot, plus garbage.
        const SLOTS: usize = 32 << 10;
        let live = Root::new(Gc::new(GcArray::from_fn(SLOTS, |_| GcCell::new(None::<Gc<Node>>))));
        let s0 = stats();
        let t0 = Instant::now();
        let (mut worst, mut i) = (0.0f64, 0usize);
        while t0.elapsed() < Duration::from_secs(3) {
            let n = Gc::new(Node { next: GcCell::new(None), v: i as u64 });
            live[i % SLOTS].set(Some(n));
            // 1 KiB of garbage: bytes are what assists pay for.
            std::hint::black_box(GcArray::from_fn(128, |k| k as u64));
            i += 1;
            if i % 4096 == 0 {
                let s = stats();
                worst = worst.max(s.heap_alloc as f64 / s.heap_goal as f64);
            }
        }
        stop.store(true, Ordering::Relaxed);
        assert!(spinner.join().unwrap() > 0);
        let s = stats();
        let parks = s.assist_parks - s0.assist_parks;
        eprintln!(
            "{} allocations, {} cycles, {parks} parks ({:?} parked), worst heap/goal {worst:.2}, limiter engaged {} times",
            i,
            s.num_gc - s0.num_gc,
            s.assist_parked - s0.assist_parked,
            s.gc_limiter_engaged - s0.gc_limiter_engaged
        );
        assert!(s.num_gc - s0.num_gc >= 3, "too few cycles to see anything");
        assert!(parks > 0, "no assist ever parked: the scenario did not leave them without work");
        assert!(worst < 1.2, "the heap reached {worst:.2}× its goal: assists did not hold the allocator back");
    });
}
