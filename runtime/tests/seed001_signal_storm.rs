//! Seed 001 with signals arriving anywhere (issue 11): two goroutines reset timers every
//! microsecond and a third stops the world back to back on 2 procs, as in
//! `seed001_timer_reset_vs_stw.rs`, while a plain thread sends the preemption signal (SIGURG)
//! to the whole process every 20 µs — so it lands at random points of every thread: inside
//! timer modifications and runtime locks (the handler must only return), in the scheduler on
//! g0, in the stopper, at async safe points with and without a request pending. Every 100 ms
//! window must show progress on all three; a hang aborts (watchdog).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::*;

mod common;

#[test]
fn timers_and_stops_make_progress_under_a_signal_storm() {
    let rt = Runtime::builder().procs(2).build().expect("2 Ps");
    let finished = common::watchdog("seed001 under a signal storm", Duration::from_secs(60));
    let resets = [Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0))];
    let stops = Arc::new(AtomicU64::new(0));
    let storm_stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let storm = {
        let (storm_stop, sent) = (storm_stop.clone(), sent.clone());
        std::thread::spawn(move || {
            while !storm_stop.load(Ordering::Relaxed) {
                // SAFETY: kill(2) to our own process with a signal the runtime handles.
                unsafe { libc::kill(libc::getpid(), libc::SIGURG) };
                sent.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(20));
            }
        })
    };
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
                        safepoint();
                        let n = count.fetch_add(1, Ordering::Relaxed);
                        if n.is_multiple_of(64) {
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
            }
        });
        let mut last = (0, 0, 0);
        for w in 0..20 {
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
    storm_stop.store(true, Ordering::Relaxed);
    storm.join().unwrap();
    finished.disarm();
    eprintln!(
        "signal storm: {} signals; {} + {} resets, {} stops; {} goroutines suspended in place",
        sent.load(Ordering::Relaxed),
        resets[0].load(Ordering::Relaxed),
        resets[1].load(Ordering::Relaxed),
        stops.load(Ordering::Relaxed),
        stw_stats().async_stops
    );
}
