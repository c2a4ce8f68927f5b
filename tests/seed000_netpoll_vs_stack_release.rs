//! Seed 000 as a bounded test (issue 14): 100 loopback TCP pairs ping-pong 100-byte messages
//! while goroutines recurse deeply and park, and a goroutine collects back to back, on 8 Ps
//! (more than this machine's cores). Every second must show progress on all three; the run
//! ends within its bound. `TRICOLOR_SEED_SECS` lengthens it (default 5 s);
//! `examples/seed000_soak.rs` is the soak command.

#[path = "seed000/scenario.rs"]
mod scenario;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor::runtime::debug::{sched_dump, watchdog};
use tricolor::runtime::{sleep, Runtime};

#[test]
fn seed000_tcp_ping_pong_beside_deep_stacks_and_a_collect_loop() {
    let rt = Runtime::builder().procs(8).build().unwrap();
    let secs: u64 = std::env::var("TRICOLOR_SEED_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(5);
    let _hang = watchdog("seed000_tcp_ping_pong_beside_deep_stacks_and_a_collect_loop", Duration::from_secs(60 + 2 * secs));
    rt.block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(scenario::Counts::default());
        let hs = scenario::start(&stop, &counts);
        let mut last = counts.read();
        for sec in 0..secs {
            sleep(Duration::from_secs(1));
            let now = counts.read();
            eprintln!("second {sec}: messages, recursions, collections = {now:?}");
            for i in 0..3 {
                assert!(now[i] > last[i], "no progress of counter {i} in second {sec}: {last:?} -> {now:?}\n{}", sched_dump());
            }
            last = now;
        }
        stop.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
        let st = tricolor::gc::stats();
        eprintln!("stack bytes released by {} collections: {}", st.num_gc, st.stack_released);
        assert!(st.stack_released > 0, "no stack was released below a parked goroutine's SP");
    });
}
