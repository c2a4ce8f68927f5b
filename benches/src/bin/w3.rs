//! W3 "alloc", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w3_alloc` and `peers/bdwgc/w3_alloc.c`. For each object size (16, 64, 512 B of
//! payload, all pointers) it runs 1,000,000 allocations untimed, then `n` timed, each stored
//! into a ring of 1,000 roots with its first field pointing at itself; the three rings stay
//! live to the end and are checked. Prints `metric alloc_16b|alloc_64b|alloc_512b <ns> ns/op`.
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it).
//!
//! Usage: `w3 [--quick] [--n N]` (N allocations per size, default 100,000,000; `--quick`:
//! 10,000,000).

use tricolor_benches::report::ns_per_op;
use tricolor_benches::w3::{self, alloc_loop, check_ring, new_ring, Obj16, Obj512, Obj64, RING, WARMUP};
use tricolor_runtime::Runtime;

fn parse_n() -> u64 {
    let mut n = w3::N;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" | "-quick" => n = w3::QUICK_N,
            "--n" | "-n" => {
                let v = args.next().unwrap_or_default();
                n = v.parse().unwrap_or_else(|_| panic!("w3: --n wants a count, got {v:?}"));
            }
            other => panic!("w3: unknown argument {other:?}; usage: w3 [--quick] [--n N]"),
        }
    }
    assert!(n >= RING as u64, "w3: n must be at least the ring size {RING}");
    n
}

fn main() {
    let n = parse_n();
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w3 tricolor n={n} ring={RING}");
    rt.block_on(move || {
        let gc0 = tricolor_gc::stats().num_gc;
        // The three rings stay on this goroutine's stack to the end (the peers' globals).
        let ring16 = new_ring::<Obj16>();
        let ring64 = new_ring::<Obj64>();
        let ring512 = new_ring::<Obj512>();

        alloc_loop(ring16, WARMUP);
        ns_per_op("alloc_16b", alloc_loop(ring16, n), n);
        alloc_loop(ring64, WARMUP);
        ns_per_op("alloc_64b", alloc_loop(ring64, n), n);
        alloc_loop(ring512, WARMUP);
        ns_per_op("alloc_512b", alloc_loop(ring512, n), n);
        check_ring(ring16, "16-byte");
        check_ring(ring64, "64-byte");
        check_ring(ring512, "512-byte");

        let s = tricolor_gc::stats();
        println!(
            "info gc_count={} pause_total={:?} max_pause={:?}",
            s.num_gc - gc0,
            s.pause_total,
            s.pauses.iter().max().copied().unwrap_or_default()
        );
        println!(
            "info assists: longest {:?}, marking {:?}, parked {:?} ({} parks), {} skipped by the limiter",
            s.assist_max, s.assist_total, s.assist_parked, s.assist_parks, s.assists_limited
        );
    });
}
