//! Seed 004 as a program (issue 11): one goroutine spins on a flag in a loop with no call, no
//! allocation and no `safepoint()`; the main goroutine forces ten collections and only then
//! sets the flag. Before Go 1.14 — and before Tricolor's preemption signal — the first
//! collection's stop waited forever for the spinner's P and the program never ended. Now the
//! spinner's thread is signalled, the goroutine is scanned or suspended where it stands, and
//! the program ends.
//!
//! `TRICOLOR_DEBUG=gctrace=1 cargo run --release --example spin_collect` shows the
//! collections; `TRICOLOR_DEBUG=asyncpreemptoff=1` shows the old hang (interrupt it).
//! `-- 2` runs two spinners on the two procs (the main goroutine then gets a P only through
//! sysmon's time slices) and more collections, for the time-to-stop distribution.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::{collect, Gc};
use tricolor::runtime::{go, stw_stats, Runtime};

fn main() {
    let rt = Runtime::builder().procs(2).build().expect("runtime");
    let spinners: usize = std::env::args().nth(1).map_or(1, |a| a.parse().expect("usage: spin_collect [SPINNERS]"));
    let cycles = if spinners == 1 { 10 } else { 200 };
    rt.block_on(move || {
        let flag = Arc::new(AtomicBool::new(false));
        let spins = Arc::new(AtomicU64::new(0));
        let spinner: Vec<_> = (0..spinners).map(|_| {
            let (flag, spins) = (flag.clone(), spins.clone());
            go(move || {
                let mut n = 0u64;
                while !flag.load(Ordering::Relaxed) {
                    n = std::hint::black_box(n.wrapping_add(1));
                    if n.is_multiple_of(1 << 24) {
                        spins.store(n, Ordering::Relaxed);
                    }
                }
                n
            })
        }).collect();
        while spins.load(Ordering::Relaxed) == 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        let t = Instant::now();
        for i in 0..cycles {
            for k in 0..10_000u64 {
                std::hint::black_box(Gc::new([i, k]));
            }
            collect();
        }
        flag.store(true, Ordering::Relaxed);
        let n: u64 = spinner.into_iter().map(|s| s.join().expect("spinner")).sum();
        let st = stw_stats();
        println!(
            "{cycles} collections beside {spinners} goroutine(s) that never poll: {:?}; they spun {n} times; time to stop p50 {:?}, p99 {:?}, max {:?}; {} preemption signals, {} suspensions in place, {} for time slices",
            t.elapsed(),
            st.stopping_p50,
            st.stopping_p99,
            st.max_stopping,
            st.preempt_signals,
            st.async_stops,
            st.slice_suspensions
        );
    });
}
