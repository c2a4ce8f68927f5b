//! Seed 001 with signals arriving anywhere (issue 11): seed 001's scenario
//! (`common::timers_beside_a_stop_loop`: two goroutines reset timers every microsecond and a
//! third stops the world back to back on 2 procs) while a plain thread sends the preemption signal (SIGURG)
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
    let (r0, r1, stops) = rt.block_on(|| common::timers_beside_a_stop_loop(20));
    storm_stop.store(true, Ordering::Relaxed);
    storm.join().unwrap();
    finished.disarm();
    eprintln!(
        "signal storm: {} signals; {r0} + {r1} resets, {stops} stops; {} goroutines suspended in place",
        sent.load(Ordering::Relaxed),
        stw_stats().async_stops
    );
}
