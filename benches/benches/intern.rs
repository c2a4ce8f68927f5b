//! Interning (issue 12 item 7): one lookup in an `Interner<GcStr>` of 1,024 symbols.
//!
//! - `hit/by_str`: `intern_str(&str)` of a symbol that exists (allocates nothing).
//! - `hit/by_value`: `intern(GcStr::new(s))` of the same: what a hit cost before lookups by
//!   borrowed key (the string is built, then found).
//! - `get/hit`: `get(&str)` of a symbol that exists.
//! - `miss/by_str`: `intern_str` of a fresh symbol (builds the string, the interned object and
//!   its weak cell; dropped entries are pruned as the table grows).
//!
//! ```text
//! cargo bench -p tricolor-benches --bench intern
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::{Duration, Instant};
use tricolor_gc::{GcArray, GcStr};
use tricolor_runtime::{block_on, Runtime};
use tricolor_weak::{Interned, Interner};

const SYMBOLS: usize = 1024;

fn procs() -> String {
    format!("procs={}", Runtime::global().config().procs)
}

fn keys() -> Vec<String> {
    (0..SYMBOLS).map(|i| format!("symbol-{i}")).collect()
}

/// Runs `f(table, keys, iters)` on a goroutine with the symbols interned and held (in a traced
/// array) for the whole measurement.
fn with_table(iters: u64, f: fn(&Interner<GcStr>, &[String], u64) -> Duration) -> Duration {
    block_on(move || {
        let t: Interner<GcStr> = Interner::new();
        let keys = keys();
        let held: GcArray<Interned<GcStr>> = GcArray::from_fn(SYMBOLS, |i| t.intern_str(&keys[i]));
        let d = f(&t, &keys, iters);
        std::hint::black_box(held);
        d
    })
}

fn intern(c: &mut Criterion) {
    let mut g = c.benchmark_group("intern");
    g.throughput(Throughput::Elements(1));
    g.bench_function(BenchmarkId::new("hit/by_str", procs()), |b| {
        b.iter_custom(|iters| {
            with_table(iters, |t, keys, iters| {
                let start = Instant::now();
                for i in 0..iters as usize {
                    std::hint::black_box(t.intern_str(&keys[i % SYMBOLS]));
                }
                start.elapsed()
            })
        })
    });
    g.bench_function(BenchmarkId::new("hit/by_value", procs()), |b| {
        b.iter_custom(|iters| {
            with_table(iters, |t, keys, iters| {
                let start = Instant::now();
                for i in 0..iters as usize {
                    std::hint::black_box(t.intern(GcStr::new(&keys[i % SYMBOLS])));
                }
                start.elapsed()
            })
        })
    });
    g.bench_function(BenchmarkId::new("get/hit", procs()), |b| {
        b.iter_custom(|iters| {
            with_table(iters, |t, keys, iters| {
                let start = Instant::now();
                for i in 0..iters as usize {
                    std::hint::black_box(t.get(keys[i % SYMBOLS].as_str()));
                }
                start.elapsed()
            })
        })
    });
    g.bench_function(BenchmarkId::new("miss/by_str", procs()), |b| {
        b.iter_custom(|iters| {
            with_table(iters, |t, _, iters| {
                let fresh: Vec<String> = (0..iters).map(|i| format!("fresh-{i}")).collect();
                let start = Instant::now();
                for k in &fresh {
                    std::hint::black_box(t.intern_str(k));
                }
                start.elapsed()
            })
        })
    });
    g.finish();
}

criterion_group!(benches, intern);
criterion_main!(benches);
