//! W6 "cleanup" as criterion benches, for regressions (the side-by-side comparison at W6's full
//! size is `src/bin/w6.rs` run by `run.sh`); the kernels are `tricolor_benches::w6`'s.
//!
//! - `register`: one cleanup registered on an existing object (`w6::register`), in batches of
//!   `BATCH` objects allocated untimed on a goroutine that then returns; after each sample,
//!   untimed, one `collect()` and a wait until the sample's cleanups all ran, so registrations
//!   do not pile up from sample to sample.
//! - `run_all`: a whole batch of `K` cleanups, per cleanup: register `K` cleanups (their
//!   objects allocated untimed), drop the objects, `collect()`, wait until all `K` ran
//!   (`w6::run_all`, which waits with `wait_idle`).
//!
//! Stale words: goroutine stacks are reused without being cleared and are scanned
//! conservatively, so a word an earlier goroutine left in a slot its successor never writes
//! can hold a batch alive when a later batch's array lands at the same address (seen here in
//! about 1 batch of 300 at `K` = 10,000 and 1 of 30 at 100,000, on 2 procs). `run_all` does not count an iteration whose collection left
//! cleanups of its batch unrun (or ran an earlier batch's): it collects until they have run,
//! runs the iteration again, and says how many it dropped on stderr; it fails only if it
//! drops more than 10 beyond the iterations asked for (cleanups that never run).
//!
//! The runtime is process-wide and takes its procs from `TRICOLOR_PROCS` once, so a run
//! measures one procs count; the bench ids carry it (`register/cleanup/procs=2`).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench w6_cleanup
//! TRICOLOR_PROCS=1 cargo bench -p tricolor-benches --bench w6_cleanup -- run_all
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tricolor_benches::w6::{alloc_and_register, ran, run_all, TIMEOUT};
use tricolor_cleanup::{stats, wait_idle};
use tricolor_gc::collect;
use tricolor_runtime::{block_on, Runtime};

/// Objects per registering goroutine in `register`.
const BATCH: usize = 10_000;

/// Cleanups per iteration of `run_all`.
const KS: [usize; 2] = [10_000, 100_000];

fn procs() -> String {
    format!("procs={}", Runtime::global().config().procs)
}

/// Untimed: collects (a few times at most) until the `n` cleanups registered since the
/// counter read `base` have run; returns whether they have.
fn settle(base: u64, n: u64) -> bool {
    for _ in 0..5 {
        if ran() - base >= n {
            return true;
        }
        collect();
        wait_idle(TIMEOUT);
    }
    ran() - base >= n
}

fn w6_register(c: &mut Criterion) {
    let mut g = c.benchmark_group("register");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("cleanup", procs()), |b| {
        b.iter_custom(|iters| {
            block_on(move || {
                let base = ran();
                let mut left = iters as usize;
                let mut t = Duration::ZERO;
                while left > 0 {
                    let k = left.min(BATCH);
                    t += alloc_and_register(k).1;
                    left -= k;
                }
                // Untimed: run them all before the next sample.
                run_all(base, iters, TIMEOUT);
                if !settle(base, iters) {
                    eprintln!(
                        "w6 register: {} of {iters} cleanups have not run after 6 collections; {:?}",
                        iters - (ran() - base),
                        stats()
                    );
                }
                t
            })
        })
    });
    g.finish();
}

fn w6_run_all(c: &mut Criterion) {
    let mut g = c.benchmark_group("run_all");
    for k in KS {
        g.throughput(Throughput::Elements(k as u64));
        g.bench_function(BenchmarkId::new(format!("k={k}"), procs()), |b| {
            b.iter_custom(|iters| {
                block_on(move || {
                    let mut t = Duration::ZERO;
                    let (mut counted, mut dropped) = (0, 0);
                    while counted < iters {
                        let base = ran();
                        let (_alloc, register) = alloc_and_register(k);
                        let r = run_all(base, k as u64, TIMEOUT);
                        if r.ran == k as u64 {
                            t += register + r.elapsed;
                            counted += 1;
                            continue;
                        }
                        // Not all of this batch ran, or an earlier batch's ran too: not counted.
                        dropped += 1;
                        assert!(
                            dropped <= iters + 10,
                            "w6 run_all/k={k}: {dropped} iterations dropped for {counted} counted; the last saw {} of {k} cleanups run; {:?}",
                            r.ran,
                            stats()
                        );
                        settle(base, k as u64);
                    }
                    if dropped > 0 {
                        eprintln!("w6 run_all/k={k}: {dropped} iteration(s) not counted (see the file comment), {counted} counted");
                    }
                    t
                })
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // Short enough that the whole file runs in about 15 s; criterion's flags
    // (`--measurement-time`, `--sample-size`) override these.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    targets = w6_register, w6_run_all
}
criterion_main!(benches);
