//! Seed 004 at the runtime's level (reference §7.2, DESIGN decisions 6 and 8): a goroutine
//! spins on a flag with no safepoint poll, no call, no allocation; another stops the world,
//! runs a ragged barrier, and only then sets the flag. Before the preemption signal this hung
//! forever (the stop waited for a P whose goroutine never polls). Now the spinner's thread is
//! interrupted, the goroutine is suspended in place (its P counted stopped, its registers and
//! stack published for scanners), and resumes where it was when the world restarts.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::{for_each_p, go, stop_the_world, Runtime};

#[test]
fn a_stop_completes_beside_a_goroutine_that_never_polls() {
    let _hang = watchdog("seed 004 (runtime)", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicU64::new(0));
        let spinner = {
            let (flag, spins) = (flag.clone(), spins.clone());
            go(move || {
                let mut n = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    n = std::hint::black_box(n.wrapping_add(1));
                    if n.is_multiple_of(1 << 20) {
                        spins.store(n, Ordering::Relaxed);
                    }
                }
                n
            })
        };
        // The spinner is running on the other P.
        while spins.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let mut longest = Duration::ZERO;
        for _ in 0..50 {
            let t = Instant::now();
            let w = stop_the_world();
            longest = longest.max(t.elapsed());
            let at_stop = spins.load(Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(2));
            // Stopped means stopped: the spinner did not advance while the world was.
            assert_eq!(spins.load(Ordering::Relaxed), at_stop, "the spinner ran while the world was stopped");
            drop(w);
            for_each_p(|_| {});
        }
        flag.store(true, Ordering::Relaxed);
        let n = spinner.join().unwrap();
        assert!(n > 0);
        let st = tricolor_runtime::stw_stats();
        eprintln!(
            "50 stops beside a spinner; longest {longest:?}; time to stop p50 {:?} p99 {:?}; {} signals, {} goroutines suspended in place",
            st.stopping_p50, st.stopping_p99, st.preempt_signals, st.async_stops
        );
        assert!(st.async_stops > 0, "the spinner was never suspended in place");
    });
}
