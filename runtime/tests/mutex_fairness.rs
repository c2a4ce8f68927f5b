//! A goroutine waiting on a `gsync::Mutex` is not starved by a holder that re-locks in a loop
//! (Go's starvation mode: after 1 ms of waiting, unlock hands the lock to the waiter).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::*;

mod common;

#[test]
fn waiter_gets_the_lock_from_a_relocking_hog() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let done = common::watchdog("mutex_fairness", Duration::from_secs(20));
    rt.block_on(|| {
        let m = Arc::new(gsync::Mutex::new(0u64));
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (m, stop) = (m.clone(), stop.clone());
            go(move || {
                while !stop.load(Ordering::Relaxed) {
                    let mut g = m.lock();
                    let t = Instant::now();
                    while t.elapsed() < Duration::from_micros(20) {
                        *g += 1;
                    }
                }
            })
        };
        sleep(Duration::from_millis(5));
        let mut worst = Duration::ZERO;
        for _ in 0..20 {
            let t = Instant::now();
            drop(m.lock());
            worst = worst.max(t.elapsed());
            sleep(Duration::from_micros(200));
        }
        stop.store(true, Ordering::Relaxed);
        hog.join().unwrap();
        eprintln!("worst wait {worst:?}");
        assert!(worst < Duration::from_millis(10), "a waiter waited {worst:?} for the lock");
    });
    done.disarm();
}
