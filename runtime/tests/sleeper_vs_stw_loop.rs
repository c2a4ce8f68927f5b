//! A sleeping goroutine wakes on time while another goroutine stops the world back to back and
//! yields only every 10 ms (a VM's GC loop; W5's phase 4 at 1 P). Each restart moves the
//! stopper P's runnable goroutines to the global queue (`stw.rs`); a yield that put the stopper
//! back on its local queue made the P pick it again before the global queue for 60 schedules
//! of 61, and the sleeper of 200 ms woke after ~1.8 s. Yields now go behind goroutines waiting
//! on the global queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::*;

mod common;

#[test]
fn sleeper_wakes_on_time_beside_a_stop_the_world_loop() {
    let rt = Runtime::builder().procs(1).build().unwrap();
    let done = common::watchdog("sleeper_vs_stw_loop", Duration::from_secs(60));
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let looper = |stw: bool| {
            let stop = stop.clone();
            go(move || {
                let mut since = Instant::now();
                while !stop.load(Ordering::Relaxed) {
                    if stw {
                        drop(stop_the_world());
                    } else {
                        safepoint();
                    }
                    if since.elapsed() > Duration::from_millis(10) {
                        yield_now();
                        since = Instant::now();
                    }
                }
            })
        };
        let (a, b) = (looper(true), looper(false));
        let mut worst = Duration::ZERO;
        for _ in 0..5 {
            let t = Instant::now();
            sleep(Duration::from_millis(100));
            worst = worst.max(t.elapsed() - Duration::from_millis(100));
        }
        stop.store(true, Ordering::Relaxed);
        a.join().unwrap();
        b.join().unwrap();
        eprintln!("worst lateness of a 100 ms sleep: {worst:?}");
        // Two 10 ms slices of the loopers, with room for a noisy machine.
        assert!(worst < Duration::from_millis(300), "a 100 ms sleep woke {worst:?} late");
    });
    done.disarm();
}
