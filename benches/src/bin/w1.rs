//! W1 "GCBench", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w1_gcbench` and `peers/bdwgc/w1_gcbench.c`. Prints the original's progress as
//! `info` lines, then `metric` lines: `total` (ms, stretch tree to end, runtime start
//! excluded), `peak_rss` (VmHWM, KiB), `gc_count` (collections during the run).
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w1 [--quick]` (`--quick` is accepted and changes nothing: W1 takes under a second
//! at full size, so the smoke test runs it as defined, as on the peers).

use tricolor_benches::report::{metric, ms, peak_rss};
use tricolor_benches::w1::{self, FULL};
use tricolor_runtime::Runtime;

fn main() {
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" | "-quick" => {}
            other => panic!("w1: unknown argument {other:?}; usage: w1 [--quick]"),
        }
    }
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    let p = FULL;
    println!(
        "info w1 tricolor stretch={} long_lived={} depths={}..{} array={}",
        p.stretch, p.long_lived, p.min_depth, p.max_depth, p.array
    );
    rt.block_on(move || {
        let gc0 = tricolor_gc::stats().num_gc;
        let total = w1::run(&p, &mut |a| println!("info {a}"));
        let gcs = tricolor_gc::stats().num_gc - gc0;
        println!("info completed in {} ms", total.as_millis());
        ms("total", total);
        peak_rss();
        metric("gc_count", gcs as f64, "GCs");
    });
}
