//! Issue 10 (reference §4.6): the GC CPU limiter. With `gc_percent = 1` and 16 MiB live, every
//! cycle may allocate only about 160 KiB before its goal, so the assists' ratio asks for far
//! more marking than allocating: left alone, the collector takes nearly all the CPU (Go's
//! death spiral, here without a memory limit). Four allocators share one proc, so it is never
//! idle (an idle worker's time is neither the collector's nor the mutator's, and with an
//! allocator per P, assists parked for credit left Ps to idle workers and hid the collector's
//! share: 2 procs took 9-18 s to engage, 1 proc about 1-2 s). The limiter turns on once the
//! collector has taken more than half the CPU for `procs × 1 s` net, skips assists while on,
//! and the mutators keep making progress while the heap runs past its goal.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tricolor::gc::{set_gc_percent, stats, Gc, GcArray, GcCell, Root, Trace};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, Runtime};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    v: u64,
}

type Table = GcArray<GcCell<Option<Gc<Node>>>>;

/// Replaces slots of `live` until `until` says stop; returns how many.
fn replace(live: Gc<Table>, seed: usize, until: impl Fn() -> bool) -> usize {
    let mut i = seed;
    while !until() {
        for _ in 0..1024 {
            let n = Gc::new(Node { next: GcCell::new(None), v: i as u64 });
            live[i % live.len()].set(Some(n));
            i += 1;
        }
    }
    i - seed
}

#[test]
fn the_limiter_engages_when_the_collector_takes_most_of_the_cpu() {
    std::env::set_var("TRICOLOR_DEBUG", "gcstoptheworld=0");
    let _hang = watchdog("cpu limiter", Duration::from_secs(120));
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(|| {
        // 16 MiB of live nodes.
        const SLOTS: usize = 512 << 10;
        let live = Root::new(Gc::new(Table::from_fn(SLOTS, |i| GcCell::new(Some(Gc::new(Node { next: GcCell::new(None), v: i as u64 }))))));
        let old = set_gc_percent(1);
        let s0 = stats();
        let t0 = Instant::now();
        // Until it engages (at most 20 s), then one second more with it on and off.
        static ENGAGED_AT_MS: AtomicU64 = AtomicU64::new(u64::MAX);
        let until = move || {
            let now = t0.elapsed().as_millis() as u64;
            if stats().gc_limiter_engaged > s0.gc_limiter_engaged {
                let _ = ENGAGED_AT_MS.compare_exchange(u64::MAX, now, Ordering::Relaxed, Ordering::Relaxed);
            }
            now > 20_000 || now > ENGAGED_AT_MS.load(Ordering::Relaxed).saturating_add(1000)
        };
        // Three more allocators: an assist that parks for credit leaves the P to another
        // allocator rather than to an idle mark worker (module docs).
        let others: Vec<_> = (1..4u64)
            .map(|k| {
                let table = live.get();
                go(move || replace(table, (k << 40) as usize, until))
            })
            .collect();
        let n = replace(live.get(), 0, until) + others.into_iter().map(|h| h.join().unwrap()).sum::<usize>();
        let s = stats();
        set_gc_percent(old);
        eprintln!(
            "{n} replacements in {:?}, {} cycles, limiter engaged {} times (on {:?}, {} assists skipped), gc cpu fraction {:.2}",
            t0.elapsed(),
            s.num_gc - s0.num_gc,
            s.gc_limiter_engaged - s0.gc_limiter_engaged,
            s.gc_limiter_on - s0.gc_limiter_on,
            s.assists_limited - s0.assists_limited,
            s.gc_cpu_fraction
        );
        assert!(s.gc_limiter_engaged > s0.gc_limiter_engaged, "the collector took most of the CPU for 20 s and the limiter never engaged");
        assert!(s.assists_limited > s0.assists_limited, "the limiter was on and no assist was skipped");
        // Slot i holds a node whose value is i modulo the table's length (either goroutine's).
        assert_eq!(live[7].get().map(|n| n.v % SLOTS as u64), Some(7));
    });
}
