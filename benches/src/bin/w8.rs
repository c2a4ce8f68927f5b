//! W8 "sched", full size: the Tricolor side of the comparison `benches/run.sh` makes with
//! `peers/go/w8_sched/main.go`. Prints `metric <name> <ns> ns/op` lines (see
//! `tricolor_benches::report`).
//!
//! Procs come from `TRICOLOR_PROCS` (the harness sets it, and `GOMAXPROCS` for the peer).
//! Each kernel first runs once with `WAVE` operations, untimed, so both sides start the
//! measured run with warm stack pools and thread pools.
//!
//! Usage: `w8 [--quick] [--ops N]`; `--quick` is `--ops 10000`, a smoke test whose figures
//! are not W8's.

use tricolor_benches::report::ns_per_op;
use tricolor_benches::w8::{self, OPS, WAVE};
use tricolor_runtime::Runtime;

fn parse_ops() -> u64 {
    let mut ops = OPS;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--quick" => ops = WAVE,
            "--ops" => {
                let v = args.next().unwrap_or_default();
                ops = v.parse().unwrap_or_else(|_| panic!("w8: --ops wants a count, got {v:?}"));
            }
            other => panic!("w8: unknown argument {other:?}; usage: w8 [--quick] [--ops N]"),
        }
    }
    ops
}

fn main() {
    let ops = parse_ops();
    let rt = Runtime::global();
    // `run.sh` checks this line against the procs it asked for.
    println!("procs {}", rt.config().procs);
    println!("info w8 tricolor ops={ops} wave={WAVE}");
    rt.block_on(move || {
        let warm = WAVE.min(ops);
        w8::spawn_join_waves(warm, WAVE);
        ns_per_op("spawn_join_waves", w8::spawn_join_waves(ops, WAVE), ops);
        w8::spawn_wait_waves_wg(warm, WAVE);
        ns_per_op("spawn_wait_waves_wg", w8::spawn_wait_waves_wg(ops, WAVE), ops);
        w8::spawn_join_serial(warm);
        ns_per_op("spawn_join_serial", w8::spawn_join_serial(ops), ops);
        w8::chan_ping_pong(warm);
        ns_per_op("chan_ping_pong", w8::chan_ping_pong(ops), ops);
    });
}
