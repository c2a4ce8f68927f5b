//! Seed 001's own program, through `collect()` rather than a direct stop-the-world: two
//! goroutines reset timers every 1-2 µs beside a goroutine collecting back to back, on 2 Ps.
//! Every one of them must progress in every second (issue 9 item 4: the timers made no
//! progress after the first second). `TRICOLOR_SEED_SECS` lengthens the run (default 5 s).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor::gc::collect;
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, sleep, Runtime, Timer};

#[test]
fn seed001_timers_reset_beside_a_collect_loop_progress() {
    let rt = Runtime::builder().procs(2).build().unwrap();
    let _hang = watchdog("seed001_timers_reset_beside_a_collect_loop_progress", Duration::from_secs(120));
    rt.block_on(|| {
        let stop = Arc::new(AtomicBool::new(false));
        let counts: Arc<[AtomicU64; 3]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
        let mut hs = Vec::new();
        for i in 0..2 {
            let (stop, counts) = (stop.clone(), counts.clone());
            hs.push(go(move || {
                let t = Timer::new(Duration::from_micros(1));
                while !stop.load(Ordering::Relaxed) {
                    t.reset(Duration::from_micros(1 + (i as u64)));
                    counts[i].fetch_add(1, Ordering::Relaxed);
                    tricolor::runtime::safepoint();
                }
            }));
        }
        {
            let (stop, counts) = (stop.clone(), counts.clone());
            hs.push(go(move || {
                while !stop.load(Ordering::Relaxed) {
                    collect();
                    counts[2].fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        let secs: u64 = std::env::var("TRICOLOR_SEED_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
        let mut last = [0u64; 3];
        for sec in 0..secs {
            sleep(Duration::from_secs(1));
            let now = [0, 1, 2].map(|i| counts[i].load(Ordering::Relaxed));
            eprintln!("second {sec}: {now:?}");
            for i in 0..3 {
                assert!(now[i] > last[i], "no progress of {i} in second {sec}: {last:?} -> {now:?}");
            }
            last = now;
        }
        stop.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
    });
}
