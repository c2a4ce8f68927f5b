//! W5 "weak", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w5_weak` and `peers/bdwgc/w5_weak.c` (the phases are described in
//! `tricolor_benches::w5`). Prints
//!
//! - `create` ns per weak pointer made (1,000,000 objects, one each);
//! - `upgrade_hot` ns per upgrade of the same live pointer; `upgrade_walk` ns per upgrade of
//!   1,000,000 distinct live pointers in order;
//! - `clear_gc` ms of the collection that finds the 1,000,000 objects dead; `not_cleared`, the
//!   weak pointers that still upgrade after it (count; 0 expected);
//! - `upgrades_per_s` of 2 readers while a goroutine collects back to back and another replaces
//!   objects; `bad_upgrades` (count; must be 0); `gcs_per_s` and `replaces_per_s` in that phase.
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w5 [--quick] [--seconds S]` (phase 4 lasts S seconds, default 5; `--quick`: 1 s and
//! 10x fewer hot upgrades and 2 walk passes instead of 10).

use std::time::Duration;
use tricolor_benches::report::{metric, ms, ns_per_op};
use tricolor_benches::w5::{self, concurrent, phases_1_to_3, N, SET};
use tricolor_runtime::Runtime;

struct Args {
    hot: u64,
    passes: u64,
    duration: Duration,
}

fn parse_args() -> Args {
    let mut a = Args { hot: w5::HOT, passes: w5::WALK_PASSES, duration: w5::DURATION };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" | "-quick" => {
                a.hot = w5::QUICK_HOT;
                a.passes = w5::QUICK_WALK_PASSES;
                a.duration = w5::QUICK_DURATION;
            }
            "--seconds" | "-seconds" => {
                let v = args.next().unwrap_or_default();
                let s: f64 = v.parse().unwrap_or_else(|_| panic!("w5: --seconds wants a number, got {v:?}"));
                a.duration = Duration::from_secs_f64(s);
            }
            other => panic!("w5: unknown argument {other:?}; usage: w5 [--quick] [--seconds S]"),
        }
    }
    a
}

fn main() {
    let a = parse_args();
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w5 tricolor n={N} hot={} walk_passes={} set={SET} seconds={}", a.hot, a.passes, a.duration.as_secs_f64());
    rt.block_on(move || {
        let p = phases_1_to_3(N, a.hot, a.passes);
        println!("info alloc of {N} objects and weak slots (untimed): {} ms", p.alloc.as_millis());
        ns_per_op("create", p.create, N as u64);
        ns_per_op("upgrade_hot", p.hot.elapsed, p.hot.ops);
        ns_per_op("upgrade_walk", p.walk.elapsed, p.walk.ops);
        ms("clear_gc", p.clear);
        let not_cleared = p.not_cleared;
        metric("not_cleared", not_cleared as f64, "count");
        if not_cleared > 0 {
            println!("info {not_cleared} of {N} weak pointers still upgrade after the clearing collection");
        }

        let gc0 = tricolor_gc::stats().num_gc;
        let c = concurrent(a.duration);
        let secs = c.elapsed.as_secs_f64();
        let r = c.readers;
        metric("upgrades_per_s", r.upgrades as f64 / secs, "ops/s");
        metric("bad_upgrades", r.bad as f64, "count");
        metric("gcs_per_s", c.collections as f64 / secs, "ops/s");
        metric("replaces_per_s", c.replaced as f64 / secs, "ops/s");
        println!(
            "info concurrent: {:.2} s, {} upgrades ({:.1}% returned an object), {} bad, {} collect() calls ({} cycles in all), {} replacements",
            secs,
            r.upgrades,
            100.0 * r.hits as f64 / r.upgrades.max(1) as f64,
            r.bad,
            c.collections,
            tricolor_gc::stats().num_gc - gc0,
            c.replaced
        );
        println!(
            "info concurrent: stop set at {:.3} s (asked {:.3} s), readers joined at {:.3} s, all at {:.3} s",
            c.woke.as_secs_f64(),
            a.duration.as_secs_f64(),
            c.readers_joined.as_secs_f64(),
            secs
        );
        if r.bad > 0 {
            eprintln!("w5: {} bad upgrades: an upgrade returned a freed or reused object", r.bad);
            std::process::exit(1);
        }
    });
}
