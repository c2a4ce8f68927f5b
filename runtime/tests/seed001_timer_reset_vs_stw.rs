//! Seed 001 (Go 1.14.1, issues 38023/38070): a goroutine preempted while modifying a timer left
//! it in a transitional state; the same P's scheduler spun on that state while a
//! stop-the-world waited for the P, wedging the process at 100% CPU.
//!
//! Cooperative version of the scenario: two goroutines reset timers every microsecond on 2 Ps
//! (polling `safepoint()` after every reset, yielding every 64) while another goroutine stops
//! the world in a loop. Timer modification runs with preemption
//! disabled and leaves no state anyone spins on (reference §8, invariant 18), so every window
//! of the run shows progress on all three. A hang aborts the process (watchdog).
//! `TRICOLOR_SEED_SECS` lengthens the run (default 2 s).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::*;

mod common;

#[test]
fn timers_reset_every_microsecond_while_the_world_stops_in_a_loop() {
    let secs: u64 = std::env::var("TRICOLOR_SEED_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let rt = Runtime::builder().procs(2).build().expect("2 Ps");
    let finished = common::watchdog("seed001 (the timer/STW hang is back)", Duration::from_secs(secs * 10 + 30));

    let resets = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let stops = Arc::new(AtomicU64::new(0));
    let r = resets.clone();
    let st = stops.clone();
    rt.block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let resetters: Vec<_> = r
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
                        if n % 64 == 0 {
                            // Cooperative scheduling: give the stopper and the checker the P
                            // (time-slice preemption arrives with sysmon). Every 64th round
                            // also lets the timer fire, so the firing path runs too.
                            yield_now();
                            let _ = t.receiver().try_recv();
                        }
                    }
                })
            })
            .collect();
        let s2 = stop.clone();
        let st2 = st.clone();
        let stopper = go(move || {
            while !s2.load(Ordering::Relaxed) {
                drop(stop_the_world());
                st2.fetch_add(1, Ordering::Relaxed);
                // Back to back, no gap: a restart's Ms get their first pass before the next
                // stop begins (`stw.rs`, restart fairness), so the resetters still run.
            }
        });
        // Progress check every 100 ms: all three must move in every window.
        let windows = secs * 10;
        let mut last = (0, 0, 0);
        for w in 0..windows {
            sleep(Duration::from_millis(100));
            let now = (r[0].load(Ordering::Relaxed), r[1].load(Ordering::Relaxed), st.load(Ordering::Relaxed));
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
    });
    finished.disarm();
    eprintln!(
        "seed001: {} + {} resets, {} stop-the-worlds in {secs} s",
        resets[0].load(Ordering::Relaxed),
        resets[1].load(Ordering::Relaxed),
        stops.load(Ordering::Relaxed)
    );
}
