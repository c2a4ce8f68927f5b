//! `gsync::ParkLock` and `gsync::Condvar` hand every item over: a bounded producer/consumer
//! queue with parked consumers and producers that wake them, on 2 procs, never loses a wake-up
//! (the waker finds a sleeper queued once the sleeper has announced itself under the lock).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::gsync::{Condvar, Mutex, ParkLock};
use tricolor_runtime::*;

mod common;

const PRODUCERS: u64 = 4;
const CONSUMERS: u64 = 3;
const ITEMS: u64 = 20_000;

#[test]
fn park_lock_consumers_get_every_item() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let done = common::watchdog("park_lock", Duration::from_secs(60));
    rt.block_on(|| {
        let q = Arc::new(ParkLock::new((VecDeque::<u64>::new(), 0u64)));
        let sum = Arc::new(AtomicU64::new(0));
        let consumers: Vec<_> = (0..CONSUMERS)
            .map(|_| {
                let (q, sum) = (q.clone(), sum.clone());
                go(move || loop {
                    let mut g = q.lock();
                    while g.0.is_empty() {
                        g = g.park();
                    }
                    let v = g.0.pop_front().unwrap();
                    drop(g);
                    if v == u64::MAX {
                        return;
                    }
                    sum.fetch_add(v, Ordering::Relaxed);
                })
            })
            .collect();
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                go(move || {
                    for i in 0..ITEMS {
                        let mut g = q.lock();
                        g.0.push_back(p * ITEMS + i + 1);
                        g.wake_one();
                        drop(g);
                        if i % 64 == 0 {
                            yield_now();
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.join().unwrap();
        }
        for _ in 0..CONSUMERS {
            let mut g = q.lock();
            g.0.push_back(u64::MAX);
            g.wake_one();
        }
        for c in consumers {
            c.join().unwrap();
        }
        let n = PRODUCERS * ITEMS;
        assert_eq!(sum.load(Ordering::Relaxed), n * (n + 1) / 2);
        assert_eq!(q.lock().parked(), 0);
    });
    done.disarm();
}

#[test]
fn condvar_waiters_see_every_change() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let done = common::watchdog("condvar", Duration::from_secs(60));
    rt.block_on(|| {
        let pair = Arc::new((Mutex::new(0u64), Condvar::new()));
        // Two goroutines take turns: each waits for the counter to have its parity.
        let turn = |me: u64| {
            let pair = pair.clone();
            go(move || {
                for _ in 0..5_000 {
                    let mut n = pair.0.lock();
                    while *n % 2 != me {
                        n = pair.1.wait(n);
                    }
                    *n += 1;
                    pair.1.notify_all();
                }
            })
        };
        let (a, b) = (turn(0), turn(1));
        a.join().unwrap();
        b.join().unwrap();
        assert_eq!(*pair.0.lock(), 10_000);
    });
    done.disarm();
}
