//! W8 "sched" as criterion benches: one scheduler operation per iteration, for tracking
//! regressions. The side-by-side comparison with Go at W8's full size is `src/bin/w8.rs` run
//! by `run.sh`; both time the kernels in `tricolor_benches::w8`.
//!
//! Every measured batch runs inside one `block_on` (`iter_custom`): entering the runtime from
//! a thread costs a goroutine spawn and a condvar hand-off, which would swamp a 100 ns
//! operation. The runtime is process-wide and takes its procs from `TRICOLOR_PROCS` once, so
//! a run measures one procs count; the bench ids carry it (`spawn_join/procs=2`) so runs with
//! different counts keep separate baselines.
//!
//! ```text
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w8_sched
//! TRICOLOR_PROCS=2 cargo bench -p tricolor-benches --bench w8_sched -- chan_round_trip
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::time::Duration;
use tricolor_benches::w8;
use tricolor_runtime::{block_on, Runtime};

fn procs_id() -> BenchmarkId {
    BenchmarkId::from_parameter(format!("procs={}", Runtime::global().config().procs))
}

/// Adds one group `name` whose single bench runs `kernel(iters)` inside one `block_on`.
fn group(c: &mut Criterion, name: &str, kernel: fn(u64) -> Duration) {
    let mut g = c.benchmark_group(name);
    g.bench_function(procs_id(), |b| b.iter_custom(|iters| block_on(move || kernel(iters))));
    g.finish();
}

fn w8_sched(c: &mut Criterion) {
    // Spawn one goroutine and join it.
    group(c, "spawn_join", w8::spawn_join_serial);
    // `yield_now` with nothing else runnable: a switch to g0, a run-queue put and get, back.
    group(c, "yield", w8::yield_loop);
    // One round trip over two `bounded(0)` channels with a partner goroutine.
    group(c, "chan_round_trip", w8::chan_ping_pong);
    // `Timer::reset` on a pending timer.
    group(c, "timer_reset", w8::timer_reset);
    // `blocking(std::process::id)`: entering and leaving a blocking call around a short syscall.
    group(c, "blocking_syscall", w8::blocking_syscall);
}

criterion_group! {
    name = benches;
    // Short enough that the whole file runs in about a minute; criterion's flags
    // (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = w8_sched
}
criterion_main!(benches);
