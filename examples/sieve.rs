//! A goroutine workload: Go's concurrent prime sieve (a pipeline of one goroutine per prime,
//! linked by rendezvous channels), then a fan-out of CPU work joined with a WaitGroup, then
//! a burst of timers, with stop-the-world cycles running alongside.
//!
//! Run with the scheduler trace visible:
//!
//! ```sh
//! TRICOLOR_DEBUG=schedtrace=200 cargo run --release --example sieve
//! ```

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::runtime::gsync::{chan, WaitGroup};
use tricolor::runtime::{block_on, go, sleep, stop_the_world, stw_stats, yield_now, Runtime, Timer};

fn generate(tx: chan::Sender<u64>) {
    for i in 2.. {
        if tx.send(i).is_err() {
            return;
        }
    }
}

fn filter(rx: chan::Receiver<u64>, tx: chan::Sender<u64>, prime: u64) {
    for v in rx.iter() {
        if v % prime != 0 && tx.send(v).is_err() {
            return;
        }
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let cfg = Runtime::global().config().clone();
    println!("tricolor: {} Ps, {} KiB stacks, up to {} goroutines", cfg.procs, cfg.stack_size / 1024, cfg.max_goroutines);
    let t = Instant::now();
    block_on(move || {
        // A stopper in the background, as a collector would be.
        let stop = Arc::new(AtomicBool::new(false));
        let stopper = {
            let stop = stop.clone();
            go(move || {
                while !stop.load(Ordering::Relaxed) {
                    drop(stop_the_world());
                    sleep(Duration::from_millis(2));
                }
            })
        };

        // 1. The sieve: n primes, one goroutine each.
        let (tx, mut rx) = chan::bounded(0);
        go(move || generate(tx));
        let mut last = 0;
        for _ in 0..n {
            let prime = rx.recv().unwrap();
            last = prime;
            let (tx2, rx2) = chan::bounded(0);
            go(move || filter(rx, tx2, prime));
            rx = rx2;
        }
        drop(rx); // closes the pipeline: every filter exits
        println!("sieve: prime #{n} is {last} ({:?})", t.elapsed());

        // 2. Fan-out: 10,000 goroutines of CPU work, joined with a WaitGroup.
        let t2 = Instant::now();
        let wg = Arc::new(WaitGroup::new());
        let sum = Arc::new(AtomicU64::new(0));
        for i in 0..10_000u64 {
            wg.add(1);
            let (wg, sum) = (wg.clone(), sum.clone());
            go(move || {
                let mut x = i;
                for _ in 0..200 {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                }
                sum.fetch_add(x >> 60, Ordering::Relaxed);
                if i % 64 == 0 {
                    yield_now();
                }
                wg.done();
            });
        }
        wg.wait();
        println!("fan-out: 10000 goroutines, checksum {} ({:?})", sum.load(Ordering::Relaxed), t2.elapsed());

        // 3. Timers: 1,000 goroutines each waiting on its own timer.
        let t3 = Instant::now();
        let hs: Vec<_> = (0..1000u64).map(|i| go(move || Timer::new(Duration::from_micros(100 + i % 900)).recv())).collect();
        for h in hs {
            h.join().unwrap();
        }
        println!("timers: 1000 fired ({:?})", t3.elapsed());

        stop.store(true, Ordering::Relaxed);
        stopper.join().unwrap();
    });
    let st = stw_stats();
    println!(
        "stop-the-world: {} pauses, max {:?} (longest wait for all Ps: {:?}), total {:?}",
        st.count, st.max, st.max_stopping, st.total
    );
    println!("total {:?}", t.elapsed());
}
