//! Helpers shared by the integration tests.
#![allow(dead_code)] // not every test binary uses every helper

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::*;

pub use tricolor_runtime::debug::watchdog;

/// Seed 001's scenario (Go 1.14.1, issues 38023/38070), run on the calling goroutine: two
/// goroutines reset timers every microsecond (polling `safepoint()` after every reset,
/// yielding every 64, letting the timer fire then) while a third stops the world back to back.
/// Every 100 ms window of `windows` must show progress on all three; returns the two reset
/// counts and the stop count.
pub fn timers_beside_a_stop_loop(windows: u64) -> (u64, u64, u64) {
    let resets = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let stops = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let resetters: Vec<_> = resets
        .iter()
        .cloned()
        .map(|count| {
            let stop = stop.clone();
            go(move || {
                let t = Timer::new(Duration::from_micros(1));
                while !stop.load(Ordering::Relaxed) {
                    t.reset(Duration::from_micros(1));
                    // A stop request is honoured right after the reset; the reset itself
                    // cannot be interrupted (its locks hold NoPreempt).
                    safepoint();
                    let n = count.fetch_add(1, Ordering::Relaxed);
                    if n.is_multiple_of(64) {
                        // Cooperative scheduling: give the stopper and the checker the P.
                        // Every 64th round also lets the timer fire, so the firing path runs.
                        yield_now();
                        let _ = t.receiver().try_recv();
                    }
                }
            })
        })
        .collect();
    let stopper = {
        let (stop, stops) = (stop.clone(), stops.clone());
        go(move || {
            while !stop.load(Ordering::Relaxed) {
                drop(stop_the_world());
                stops.fetch_add(1, Ordering::Relaxed);
                // Back to back, no gap: a restart's Ms get their first pass before the next
                // stop begins (`stw.rs`, restart fairness), so the resetters still run.
            }
        })
    };
    let read = || (resets[0].load(Ordering::Relaxed), resets[1].load(Ordering::Relaxed), stops.load(Ordering::Relaxed));
    let mut last = (0, 0, 0);
    for w in 0..windows {
        sleep(Duration::from_millis(100));
        let now = read();
        assert!(
            now.0 > last.0 && now.1 > last.1 && now.2 > last.2,
            "no progress in window {w}: {last:?} -> {now:?}\n{}",
            debug::sched_dump()
        );
        last = now;
    }
    stop.store(true, Ordering::Relaxed);
    for h in resetters {
        h.join().unwrap();
    }
    stopper.join().unwrap();
    read()
}
