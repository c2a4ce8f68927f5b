//! Stop-the-world under load (issue 2, reference §6): many cycles while goroutines yield, sleep
//! and use timers; a goroutine inside `blocking` does not delay a stop; `for_each_p` reaches
//! every P exactly once.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::*;

mod common;
use common::watchdog;

#[test]
fn ten_thousand_stops_while_goroutines_yield_sleep_and_use_timers() {
    let done = watchdog("stw cycles", Duration::from_secs(240));
    let cycles = 10_000;
    let work = Arc::new(AtomicU64::new(0));
    let w = work.clone();
    block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let mut hs = Vec::new();
        for i in 0..100 {
            let stop = stop.clone();
            let w = w.clone();
            hs.push(go(move || {
                let mut t: Option<Timer> = None;
                while !stop.load(Ordering::Relaxed) {
                    match i % 3 {
                        0 => yield_now(),
                        1 => sleep(Duration::from_micros(50)),
                        _ => {
                            let timer = t.get_or_insert_with(|| Timer::new(Duration::from_micros(20)));
                            timer.reset(Duration::from_micros(20));
                            timer.recv();
                        }
                    }
                    w.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let before = stw_stats().count;
        for _ in 0..cycles {
            let stopped = stop_the_world();
            let seen = w.load(Ordering::Relaxed);
            // While stopped, no goroutine makes progress.
            for _ in 0..50 {
                std::hint::spin_loop();
            }
            assert_eq!(w.load(Ordering::Relaxed), seen, "a goroutine ran during stop-the-world");
            drop(stopped);
            // Let the others run between stops (with one P nothing else could).
            yield_now();
        }
        assert!(stw_stats().count >= before + cycles);
        stop.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
    });
    assert!(work.load(Ordering::Relaxed) > 0);
    done.disarm();
}

#[test]
fn goroutine_in_blocking_call_does_not_delay_the_stop() {
    let done = watchdog("blocking vs stw", Duration::from_secs(60));
    block_on(|| {
        let entered = Arc::new(AtomicBool::new(false));
        let e = entered.clone();
        let h = go(move || {
            blocking(|| {
                e.store(true, Ordering::SeqCst);
                std::thread::sleep(Duration::from_secs(2));
            });
            current_id()
        });
        while !entered.load(Ordering::SeqCst) {
            yield_now();
        }
        let stopped = stop_the_world();
        let took = stopped.stopping();
        let total = stopped.elapsed();
        drop(stopped);
        // Other tests in this binary stop the world too; `stopping` excludes waiting for them.
        assert!(took < Duration::from_millis(100), "stop-the-world waited {took:?} for a blocking call");
        assert!(total < Duration::from_millis(1500), "stop-the-world took {total:?} in all");
        assert!(h.join().unwrap() > 0);
    });
    done.disarm();
}

#[test]
fn for_each_p_runs_once_per_p() {
    let done = watchdog("for_each_p", Duration::from_secs(60));
    let procs = Runtime::global().config().procs;
    block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let spinners: Vec<_> = (0..procs * 2)
            .map(|_| {
                let stop = stop.clone();
                go(move || {
                    let mut n = 0u32;
                    while !stop.load(Ordering::Relaxed) {
                        safepoint();
                        std::hint::spin_loop();
                        // Cooperative scheduling (no time-slice preemption before sysmon,
                        // issue 11): with twice as many spinners as Ps, the test's own
                        // goroutine, once queued behind them (it parks on `worldsema` while
                        // another test stops the world), would otherwise wait for a stop that
                        // never comes once the other tests finish.
                        n = n.wrapping_add(1);
                        if n.is_multiple_of(1024) {
                            yield_now();
                        }
                    }
                })
            })
            .collect();
        for _ in 0..200 {
            let hits: Arc<Vec<AtomicUsize>> = Arc::new((0..procs).map(|_| AtomicUsize::new(0)).collect());
            let h = hits.clone();
            for_each_p(move |p| {
                h[p.0].fetch_add(1, Ordering::SeqCst);
            });
            for (i, c) in hits.iter().enumerate() {
                assert_eq!(c.load(Ordering::SeqCst), 1, "P{i} ran the function {} times", c.load(Ordering::SeqCst));
            }
        }
        stop.store(true, Ordering::Relaxed);
        for h in spinners {
            h.join().unwrap();
        }
    });
    done.disarm();
}

#[test]
fn goroutines_blocked_during_the_stop_resume_afterwards() {
    let done = watchdog("blocking resume", Duration::from_secs(60));
    block_on(|| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                go(move || {
                    blocking(move || {
                        std::thread::sleep(Duration::from_millis(30));
                        i
                    })
                })
            })
            .collect();
        sleep(Duration::from_millis(5));
        {
            let _w = stop_the_world();
            // The blocking calls return meanwhile and find no P: they must wait, not run.
            std::thread::sleep(Duration::from_millis(60));
        }
        let s: i32 = hs.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(s, 28);
    });
    done.disarm();
}

#[test]
fn run_on_all_ps_runs_once_per_p_in_parallel_and_propagates_panics() {
    let done = watchdog("run_on_all_ps", Duration::from_secs(60));
    let procs = Runtime::global().config().procs;
    block_on(move || {
        for round in 0..200 {
            let hits: Vec<AtomicUsize> = (0..procs).map(|_| AtomicUsize::new(0)).collect();
            let w = stop_the_world();
            w.run_on_all_ps(&|p: ProcId| {
                hits[p.0].fetch_add(1, Ordering::SeqCst);
            });
            drop(w);
            for (i, h) in hits.iter().enumerate() {
                assert_eq!(h.load(Ordering::SeqCst), 1, "round {round}: P{i}");
            }
            yield_now();
        }
        let w = stop_the_world();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            w.run_on_all_ps(&|p: ProcId| {
                if p.0 == procs - 1 {
                    panic!("job on P{} failed", p.0);
                }
            })
        }));
        drop(w);
        let p = r.unwrap_err();
        assert!(p.downcast_ref::<String>().unwrap().contains("failed"));
        // The world restarted properly after a failed job.
        assert_eq!(go(|| 3).join().unwrap(), 3);
    });
    done.disarm();
}
