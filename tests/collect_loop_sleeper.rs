//! Issue 9 item 4: a goroutine calling `collect()` in a loop starved everyone else. A 10 ms
//! sleep took 5 s: every restart left the goroutines on the global queue and the timers of
//! idle Ps with no M awake to run them (all parked in `stopm`), and a restarted M was stopped
//! again before it ran anything. Fixed by Go's unconditional `wakep` at start-the-world and by
//! restart fairness (`runtime/src/stw.rs`). Its own binary: timing-sensitive.
//!
//! The bound: at most 5 of 100 sleeps over 20 ms and none over 250 ms. The original bug made
//! every sleep seconds late; a single sleep 20-50 ms late happens on this shared 2-core machine
//! in about 1 run of 8, with the builds before and after issue 11's scheduler changes alike
//! (when the machine is busy: those runs also did a third of the usual collections).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::collect;
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, sleep, Runtime};

#[test]
fn sleep_beside_a_collect_loop_wakes_on_time() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let _hang = watchdog("sleep_beside_a_collect_loop_wakes_on_time", Duration::from_secs(120));
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let looper = go(move || {
            let mut n = 0u64;
            while !s.load(Ordering::Relaxed) {
                collect();
                n += 1;
            }
            n
        });
        let mut worst = Duration::ZERO;
        let mut late = 0;
        for _ in 0..100 {
            let t = Instant::now();
            sleep(Duration::from_millis(10));
            let e = t.elapsed();
            worst = worst.max(e);
            if e > Duration::from_millis(20) {
                late += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        let n = looper.join().unwrap();
        eprintln!("worst 10 ms sleep: {worst:?}, {late} of 100 late; {n} collections");
        assert!(late <= 5 && worst < Duration::from_millis(250), "{late} of 100 sleeps over 20 ms, worst {worst:?}");
    });
}
