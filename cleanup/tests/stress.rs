//! Seed 003 as a bounded stress test: cleanup goroutines must never sleep through queued work.
//!
//! 4 Ps, so the pool has `max(4/4, 1)` = 1 cleanup goroutine, and the pool's sleep path yields
//! at random between a failed pop and announcing itself (`debug::set_yields`), the window the
//! old protocol lost its wake-up in. Each round, one goroutine per P registers 10,000 cleanups
//! on objects it drops, then allocates garbage so automatic cycles run and every P sweeps (and
//! queues) on its own; then `collect()` and `wait_idle`: the queue must drain, with
//! `stats().run == stats().queued`, every round. Every cleanup runs exactly once (a flag per
//! registration). Runs with `gccheckmark=1,poisonfree=1`. `TRICOLOR_STRESS_ROUNDS` (default 20) sets the rounds.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_cleanup::{add, stats, wait_idle};
use tricolor_gc::{collect, Gc};
use tricolor_runtime::{go, Runtime};

mod common;

const PROCS: usize = 4;
const PER_P: usize = 10_000;

#[test]
fn every_queued_cleanup_runs_every_round() {
    let rounds: usize = std::env::var("TRICOLOR_STRESS_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    // Before the collector starts: every mark verified, freed memory poisoned.
    std::env::set_var("TRICOLOR_DEBUG", "gccheckmark=1,poisonfree=1");
    let rt = Runtime::builder().procs(PROCS).build().unwrap();
    let done = common::watchdog("cleanup stress", Duration::from_secs(600));
    tricolor_cleanup::debug::set_yields(true);
    rt.block_on(move || {
        let total = rounds * PROCS * PER_P;
        let ran: Arc<Vec<AtomicU8>> = Arc::new((0..total).map(|_| AtomicU8::new(0)).collect());
        let count = Arc::new(AtomicU64::new(0));
        let t0 = Instant::now();
        for round in 0..rounds {
            let workers: Vec<_> = (0..PROCS)
                .map(|p| {
                    let (ran, count) = (ran.clone(), count.clone());
                    go(move || {
                        let base = (round * PROCS + p) * PER_P;
                        for i in base..base + PER_P {
                            let o = Gc::new([i as u64; 2]);
                            let (ran, count) = (ran.clone(), count.clone());
                            add(
                                &o,
                                move |i: usize| {
                                    let prev = ran[i].fetch_add(1, Ordering::SeqCst);
                                    assert_eq!(prev, 0, "cleanup {i} ran twice");
                                    count.fetch_add(1, Ordering::SeqCst);
                                },
                                i,
                            );
                        }
                        // Garbage: automatic cycles, swept (and queued) by this P.
                        let mut keep = Gc::new([0u64; 8]);
                        for j in 0..200_000u64 {
                            keep = Gc::new([j; 8]);
                        }
                        assert_eq!(keep[0], 199_999);
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            collect();
            assert!(wait_idle(Duration::from_secs(60)), "round {round}: the queue did not drain: {:?}", stats());
            let s = stats();
            assert_eq!(s.queued, s.run, "round {round}: {s:?}");
        }
        common::collect_until("stress: every registered cleanup ran", || count.load(Ordering::SeqCst) as usize == total);
        assert!(ran.iter().all(|r| r.load(Ordering::SeqCst) == 1));
        let s = stats();
        eprintln!("cleanup stress: {rounds} rounds, {total} cleanups in {:?}; {s:?}", t0.elapsed());
        assert_eq!(s.goroutines, 1);
        let per_slot = tricolor_cleanup::debug::queued_per_slot();
        assert!(per_slot[..PROCS].iter().all(|&n| n > 0), "every P queued cleanups: {per_slot:?}");
    });
    done.disarm();
}
