//! W6 "cleanup", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w6_cleanup` and `peers/bdwgc/w6_cleanup.c` (the phases are described in
//! `tricolor_benches::w6`). Prints
//!
//! - `register` ns per cleanup registered (1,000,000 objects, one each);
//! - `run_all` ms from the collection that finds the objects dead until every cleanup ran;
//!   `cleanups_per_s`, `N / run_all`;
//! - `not_run`, the cleanups that had not run when the wait ended: every queued cleanup had
//!   run, or 30 s passed (count; 0 expected).
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w6 [--quick]` (`--quick`: 100,000 objects instead of 1,000,000).

use tricolor_benches::report::{metric, ms, ns_per_op};
use tricolor_benches::w6::{self, workload, TIMEOUT};
use tricolor_runtime::Runtime;

fn parse_args() -> usize {
    let mut n = w6::N;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" | "-quick" => n = w6::QUICK_N,
            other => panic!("w6: unknown argument {other:?}; usage: w6 [--quick]"),
        }
    }
    n
}

fn main() {
    let n = parse_args();
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w6 tricolor n={n} timeout_s={}", TIMEOUT.as_secs());
    rt.block_on(move || {
        let gc0 = tricolor_gc::stats().num_gc;
        let f = workload(n, TIMEOUT);
        println!("info alloc of {n} objects (untimed): {} ms", f.alloc.as_millis());
        ns_per_op("register", f.register, n as u64);
        let r = f.run;
        ms("run_all", r.elapsed);
        metric("cleanups_per_s", n as f64 / r.elapsed.as_secs_f64(), "ops/s");
        let not_run = n as u64 - r.ran.min(n as u64);
        metric("not_run", not_run as f64, "count");
        let s = tricolor_cleanup::stats();
        println!(
            "info run_all: collect() {:.2} ms, then {:.2} ms until {} of {n} cleanups ran; {} GC cycles in all; cleanup stats {:?}",
            r.collect.as_secs_f64() * 1e3,
            (r.elapsed - r.collect).as_secs_f64() * 1e3,
            r.ran,
            tricolor_gc::stats().num_gc - gc0,
            s
        );
        if r.ran > n as u64 {
            eprintln!("w6: {} cleanups ran for {n} registered: one ran twice", r.ran);
            std::process::exit(1);
        }
        if not_run > 0 {
            println!(
                "info {not_run} of {n} cleanups had not run when the wait ended (every queued cleanup had run, or {} s passed): the collection found their objects alive",
                TIMEOUT.as_secs()
            );
        }
    });
}
