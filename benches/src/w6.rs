//! W6 "cleanup": cleanups (Go's `runtime.AddCleanup`), as the peers
//! `peers/go/w6_cleanup/main.go` (`runtime.AddCleanup`) and `peers/bdwgc/w6_cleanup.c` (bdwgc's
//! `GC_register_finalizer_no_order`, finalizers run on demand) run it.
//!
//! Two phases, each a kernel here:
//!
//! 1. **register**: `N` = 1,000,000 objects (`[u64; 2]`, 16 bytes, no pointers; allocated
//!    untimed, held by a `GcArray`), then, timed, one cleanup each: `tricolor_cleanup::add(o,
//!    f, 1u64)` where `f(n)` adds `n` to a process-wide atomic counter, `RAN` (Go: a global
//!    `atomic.Uint64` and `runtime.AddCleanup(o, func(n uint64) { ran.Add(n) }, uint64(1))`;
//!    C: a global `_Atomic uint64_t`, the finalizer's client data is the `1`). The function
//!    captures nothing and the argument is not the object, on every side.
//! 2. **run_all**: the objects' only reference goes (the goroutine that held them returns; C:
//!    the global array pointer is cleared), then, timed, one `collect()` and a wait until the
//!    counter shows all `N` cleanups ran, or `TIMEOUT` (30 s) passed. Ours waits with
//!    `wait_idle` (it parks between looks, 20 µs doubling to 1 ms); Go polls the counter with
//!    `time.Sleep` on the same schedule; bdwgc, whose finalizers run on the thread that asks,
//!    calls `GC_invoke_finalizers()` until all ran or none is left. Cleanups still not run
//!    at the end are counted (`not_run`, 0 expected: a stale word on a conservatively scanned
//!    stack can keep an object alive). Ours, like bdwgc, stops waiting early when nothing is
//!    left to run (`wait_idle` says every queued cleanup ran, yet the counter is short: the
//!    collection found those objects alive, and nothing queues them before another one); Go,
//!    which cannot tell, waits out the timeout.
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tricolor_gc::{collect, Gc, GcArray};
use tricolor_runtime::go;

/// Objects (and cleanups) in the workload (`--quick`: `QUICK_N`).
pub const N: usize = 1_000_000;
/// `N` for `--quick`.
pub const QUICK_N: usize = 100_000;

/// How long `run_all` waits for the cleanups at most.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// The object a cleanup is attached to: 16 bytes, no pointers (Go: `[2]uint64`; C: 16 bytes
/// of `GC_MALLOC_ATOMIC`).
pub type Obj = [u64; 2];

const _: () = assert!(std::mem::size_of::<Obj>() == 16);

/// What the cleanups add their argument to (Go: the global `ran`).
static RAN: AtomicU64 = AtomicU64::new(0);

/// The counter's value: the sum of the arguments of every cleanup run so far in this process.
#[inline]
pub fn ran() -> u64 {
    RAN.load(Ordering::SeqCst)
}

/// `n` objects `0..n` (untimed in the workload).
pub fn alloc_objects(n: usize) -> GcArray<Gc<Obj>> {
    GcArray::from_fn(n, |i| Gc::new([i as u64; 2]))
}

/// Phase 1: one cleanup per object, `f(1)` adding 1 to `RAN`. Returns the elapsed time.
#[inline(never)]
pub fn register(objs: GcArray<Gc<Obj>>) -> Duration {
    let start = Instant::now();
    for o in objs.iter() {
        tricolor_cleanup::add(
            o,
            |n: u64| {
                RAN.fetch_add(n, Ordering::SeqCst);
            },
            1u64,
        );
    }
    start.elapsed()
}

/// Allocates `n` objects and registers a cleanup on each, on a goroutine of its own that then
/// returns, so nothing holds the objects afterwards (a stale copy of the object array's
/// address in a live frame would keep them all: stacks are scanned conservatively). Returns
/// the alloc (untimed in the workload) and register times.
pub fn alloc_and_register(n: usize) -> (Duration, Duration) {
    go(move || {
        let t0 = Instant::now();
        let objs = alloc_objects(n);
        let alloc = t0.elapsed();
        let t = register(objs);
        black_box(objs);
        (alloc, t)
    })
    .join()
    .expect("w6: the registering goroutine panicked")
}

/// What `run_all` saw.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunAll {
    /// From before the `collect()` until the counter showed all cleanups run (or the wait ended).
    pub elapsed: Duration,
    /// The `collect()` alone.
    pub collect: Duration,
    /// Cleanups that ran (the counter's increase from `base`).
    pub ran: u64,
}

/// Phase 2: one `collect()`, then waits until the counter is `base + n` (`n` cleanups with
/// argument 1 ran since the counter read `base`), `timeout` passes, or every queued cleanup
/// has run with the counter still short (some objects were found alive; see the module
/// comment).
#[inline(never)]
pub fn run_all(base: u64, n: u64, timeout: Duration) -> RunAll {
    let start = Instant::now();
    collect();
    let collect_t = start.elapsed();
    let deadline = start + timeout;
    loop {
        if ran() - base >= n {
            break;
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        // Idle (everything queued so far has run) yet short: the collection found some of the
        // objects alive (a stale word on a conservatively scanned stack), and no cleanup of
        // theirs will be queued before another collection: stop waiting.
        if tricolor_cleanup::wait_idle(deadline - now) && ran() - base < n {
            break;
        }
    }
    let elapsed = start.elapsed();
    RunAll { elapsed, collect: collect_t, ran: ran() - base }
}

/// The workload's figures.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    /// Allocating the objects (untimed in the workload).
    pub alloc: Duration,
    /// Phase 1.
    pub register: Duration,
    /// Phase 2.
    pub run: RunAll,
}

/// Both phases for `n` objects: registration on a goroutine that returns (see
/// `alloc_and_register`), then `run_all` here. Cleanups of an earlier call still running
/// would be counted as this call's: call it when those have all run.
pub fn workload(n: usize, timeout: Duration) -> Figures {
    let base = ran();
    let (alloc, register) = alloc_and_register(n);
    let run = run_all(base, n as u64, timeout);
    Figures { alloc, register, run }
}
