//! Issue 10: a concurrent cycle completes beside a goroutine that never yields (it only polls
//! `safepoint()`: its stack is scanned when it answers the self-scan request there) and beside
//! one that sits in `blocking(..)` for the whole cycle (scanned from its saved context, without
//! waiting for it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor::gc::{collect, Gc, GcCell, Root, Trace};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{blocking, go, safepoint, Runtime};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    v: u64,
}

#[test]
fn cycles_complete_beside_a_safepoint_loop_and_a_blocking_call() {
    std::env::set_var("TRICOLOR_DEBUG", "gcstoptheworld=0,gccheckmark=1,poisonfree=1");
    let _hang = watchdog("mark progress", Duration::from_secs(120));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        // Holds its P for the whole test; a node lives only on its stack.
        let spinner = {
            let stop = stop.clone();
            go(move || {
                let mine = Gc::new(Node { next: GcCell::new(None), v: 7 });
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    safepoint();
                    n += 1;
                }
                assert_eq!(std::hint::black_box(mine).v, 7, "the spinner's node was freed");
                n
            })
        };
        let released = Arc::new(AtomicBool::new(false));
        let blocker = {
            let released = released.clone();
            go(move || {
                let mine = Root::new(Gc::new(Node { next: GcCell::new(None), v: 9 }));
                let kept = Gc::new(Node { next: GcCell::new(None), v: 11 });
                blocking(|| {
                    while !released.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                });
                assert_eq!(mine.v, 9);
                assert_eq!(std::hint::black_box(kept).v, 11, "the blocked goroutine's node was freed");
            })
        };
        tricolor::runtime::sleep(Duration::from_millis(20));
        let before = tricolor::gc::stats().num_gc;
        for _ in 0..10 {
            // Garbage, so each cycle has something to free.
            for i in 0..10_000u64 {
                std::hint::black_box(Gc::new(Node { next: GcCell::new(None), v: i }));
            }
            collect();
        }
        assert!(tricolor::gc::stats().num_gc >= before + 10);
        // Both goroutines are still where they were: the cycles did not wait for them.
        assert!(!blocker.is_finished() && !spinner.is_finished());
        released.store(true, Ordering::Relaxed);
        stop.store(true, Ordering::Relaxed);
        blocker.join().unwrap();
        assert!(spinner.join().unwrap() > 0);
    });
}
