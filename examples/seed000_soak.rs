//! Seed 000's soak command: `cargo run --release --example seed000_soak -- [SECONDS] [PROCS]`
//! (default 60 s on 8 Ps). Prints progress every second and exits non-zero (abort through the
//! watchdog) if a second passes without progress on messages, recursions or collections.

#[path = "../tests/seed000/scenario.rs"]
mod scenario;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::runtime::debug::{sched_dump, watchdog};
use tricolor::runtime::{sleep, Runtime};

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let procs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(8);
    let rt = Runtime::builder().procs(procs).build().expect("runtime");
    let _hang = watchdog("seed000_soak", Duration::from_secs(60 + 2 * secs));
    let t0 = Instant::now();
    let total = rt.block_on(move || {
        let stop = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(scenario::Counts::default());
        let hs = scenario::start(&stop, &counts);
        let mut last = counts.read();
        for sec in 0..secs {
            sleep(Duration::from_secs(1));
            let now = counts.read();
            println!("second {sec}: messages {} (+{}), recursions {}, collections {}", now[0], now[0] - last[0], now[1], now[2]);
            if (0..3).any(|i| now[i] <= last[i]) {
                eprintln!("seed000_soak: no progress in second {sec}: {last:?} -> {now:?}\n{}", sched_dump());
                std::process::exit(1);
            }
            last = now;
        }
        stop.store(true, Ordering::Relaxed);
        for h in hs {
            h.join().unwrap();
        }
        last
    });
    let el = t0.elapsed().as_secs_f64();
    let st = tricolor::gc::stats();
    println!(
        "seed000_soak: {secs} s on {procs} procs: {:.0} messages/s, {} collections, {} MiB of stacks released, no hang",
        total[0] as f64 / el,
        total[2],
        st.stack_released >> 20
    );
}
