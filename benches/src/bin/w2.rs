//! W2 "binary-trees", full size: the Tricolor side of the comparison `benches/run.sh` makes
//! with `peers/go/w2_binarytrees` and `peers/bdwgc/w2_binarytrees.c`. Prints the program's
//! standard lines (which run.sh compares with `peers/expected/w2_binarytrees-<N>.txt`, N from
//! the `info ... n=<N>` line), then `metric` lines: `total` (ms, stretch tree to last line)
//! and `peak_rss` (VmHWM, KiB).
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w2 [--quick] [N]` (N defaults to 21, W2's size; `--quick` is N = 16).

use tricolor_benches::report::{ms, peak_rss};
use tricolor_benches::w2;
use tricolor_runtime::Runtime;

fn main() {
    let mut n = w2::N;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--quick" | "-quick" => n = w2::QUICK_N,
            other => n = other.parse().unwrap_or_else(|_| panic!("w2: N must be a number, got {other:?}; usage: w2 [--quick] [N]")),
        }
    }
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w2 tricolor n={n}");
    rt.block_on(move || {
        let total = w2::run(n, &mut |a| println!("{a}"));
        ms("total", total);
        peak_rss();
    });
}
