//! W7 "mark", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w7_mark` and `peers/bdwgc/w7_mark.c`. For each shape (random, then local) it
//! builds 256 MiB of 4-pointer nodes, collects twice untimed, then times 5 `collect()` calls.
//! Prints per shape `mark_rate_<shape>` (MB/s of nodes at 32 B each), `gc_<shape>` (ms per
//! collection) and `live_<shape>` (MB, the collector's live bytes after a collection: its
//! `last_marked`, headers included).
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w7 [--quick] [--mib M]` (M MiB of nodes, default 256; `--quick`: 32).

use tricolor_benches::report::metric;
use tricolor_benches::w7::{self, measure, nodes_for_mib, Shape, COLLECTIONS, NODE_SIZE};
use tricolor_runtime::Runtime;

fn parse_mib() -> usize {
    let mut mib = w7::MIB;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" | "-quick" => mib = w7::QUICK_MIB,
            "--mib" | "-mib" => {
                let v = args.next().unwrap_or_default();
                mib = v.parse().unwrap_or_else(|_| panic!("w7: --mib wants a count, got {v:?}"));
            }
            other => panic!("w7: unknown argument {other:?}; usage: w7 [--quick] [--mib M]"),
        }
    }
    mib
}

fn main() {
    let mib = parse_mib();
    let n = nodes_for_mib(mib);
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w7 tricolor mib={mib} nodes={n} collections={COLLECTIONS}");
    rt.block_on(move || {
        for (i, shape) in [Shape::Random, Shape::Local].into_iter().enumerate() {
            if i > 0 {
                tricolor_gc::collect(); // the previous shape's graph is garbage now
            }
            let m = measure(shape, n);
            let name = shape.name();
            println!("info {name}: built {n} nodes in {} ms", m.build.as_millis());
            println!(
                "info {name}: live {} bytes (heap_alloc {}; nodes alone: {}), {COLLECTIONS} collections in {} ms",
                m.live,
                m.heap_alloc,
                n * NODE_SIZE,
                m.elapsed.as_millis()
            );
            metric(&format!("mark_rate_{name}"), m.mark_rate(), "MB/s");
            metric(&format!("gc_{name}"), m.elapsed.as_secs_f64() * 1e3 / COLLECTIONS as f64, "ms");
            metric(&format!("live_{name}"), m.live as f64 / 1e6, "MB");
        }
    });
}
