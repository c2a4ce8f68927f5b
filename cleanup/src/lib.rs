//! Cleanups that are part of the collector (DESIGN decisions 3 and 11, reference §10), after
//! Go's `runtime.AddCleanup`, run by a pool of cleanup goroutines whose sleep/wake protocol
//! cannot lose work (seed 003).
//!
//! [`add`] attaches `f(arg)` to an object; after the object becomes unreachable, the sweeper
//! queues it and a cleanup goroutine runs it, exactly once. Guarantees:
//!
//! - An object's weak pointers read empty before any of its cleanups starts (invariant 23:
//!   weak handles are the first special kind, so the sweeper clears them first).
//! - The function and argument are roots until the cleanup runs or is stopped: what they
//!   reference stays alive (they are scanned conservatively — a closure's layout is unknown).
//! - A panicking cleanup is caught and reported (stderr, and [`set_panic_hook`]); its goroutine
//!   goes on, and no other cleanup is lost.
//! - [`wait_idle`] waits, with a timeout, until every cleanup queued so far has run.
//!
//! Not guaranteed (as in Go): *when* a cleanup runs, or that it runs at all if the object stays
//! reachable — a word on a stack that happens to look like its address keeps it alive, since
//! stacks are scanned conservatively — or in which order the cleanups of several objects run.
//!
//! Layout: `record.rs` (a boxed function + argument), `queue.rs` (per-P blocks filled by the
//! sweeper), `pool.rs` (the seed-003 sleep/wake protocol), `runner.rs` (the goroutines),
//! `owned.rs` ([`Owned`]: a collected object owning a value with a destructor).
//!
//! ```
//! use std::sync::atomic::{AtomicU64, Ordering};
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tricolor_gc::{collect, Gc};
//!
//! #[inline(never)] // so no stale copy of the object's address stays in this frame
//! fn register(r: Arc<AtomicU64>) {
//!     let obj = Gc::new([0u64; 4]);
//!     tricolor_cleanup::add(&obj, move |n: u64| { r.fetch_add(n, Ordering::SeqCst); }, 7);
//! }
//!
//! tricolor_runtime::block_on(|| {
//!     let ran = Arc::new(AtomicU64::new(0));
//!     register(ran.clone());
//!     for _ in 0..20 {
//!         collect();
//!         assert!(tricolor_cleanup::wait_idle(Duration::from_secs(10)));
//!         if ran.load(Ordering::SeqCst) == 7 { break }
//!     }
//!     assert_eq!(ran.load(Ordering::SeqCst), 7);
//! });
//! ```

#![warn(missing_docs)]

#[doc(hidden)]
pub mod debug;
mod owned;
mod pool;
mod queue;
mod record;
mod resource;
mod runner;
mod sync;
#[cfg(test)]
mod tests;

pub use owned::Owned;
pub use resource::{Resource, ResourceExhausted, ResourceToken};

use queue::Queue;
use runner::Runner;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tricolor_gc::specials::{self, KindId, SpecialKind};
use tricolor_gc::{Gc, Tracer};
use tricolor_runtime::hooks::{on_goroutine, pin_proc};

/// The process-wide queue and pool.
struct State {
    kind: KindId,
    queue: Queue,
    runner: Runner,
}

static STATE: OnceLock<State> = OnceLock::new();

struct Kind;
static KIND: Kind = Kind;

impl SpecialKind for Kind {
    fn name(&self) -> &'static str {
        "cleanup"
    }

    fn trace(&self, data: usize, t: &mut Tracer<'_>) {
        // SAFETY: a cleanup special's data is a live record until removed.
        unsafe { record::trace(data, t) }
    }

    fn on_dead(&self, _object: usize, _interior: usize, data: usize) {
        // The record moves from the specials (scanned by `trace`) to a block (scanned by the
        // queue's root scanner); both happen in the sweeper, outside any marking.
        state().queue.enqueue(&[data]);
    }

    fn on_dead_batch(&self, deaths: &[specials::Death]) {
        // As `on_dead`, pinned once for the span's batch.
        let q = &state().queue;
        let mut buf = [0usize; 64];
        for chunk in deaths.chunks(buf.len()) {
            for (b, d) in buf.iter_mut().zip(chunk) {
                *b = d.data;
            }
            q.enqueue(&buf[..chunk.len()]);
        }
    }
}

fn state() -> &'static State {
    STATE.get_or_init(|| {
        let procs = tricolor_runtime::hooks::procs();
        // After the collector's own weak-handle kind (registered when the collector starts),
        // so an object's weak pointers are cleared before its cleanups are queued.
        let kind = specials::register_kind(&KIND);
        tricolor_gc::internals::on_sweep_complete(|| {
            if let Some(s) = STATE.get() {
                s.queue.flush();
            }
        });
        // Never unregistered: the queue lives as long as the process.
        std::mem::forget(tricolor_gc::raw::add_root_scanner(|t| {
            if let Some(s) = STATE.get() {
                s.queue.scan_roots(t);
            }
        }));
        State { kind, queue: Queue::new(procs), runner: Runner::new(procs) }
    })
}

/// A registered cleanup; [`Cleanup::stop`] cancels it. It does not keep its object alive: it
/// holds the object's address hidden (complemented, bdwgc's `HIDE_POINTER`), so a `Cleanup`
/// on a conservatively scanned stack is not mistaken for a reference.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cleanup {
    id: u64,
    hidden: usize,
}

impl std::fmt::Debug for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cleanup").field("id", &self.id).field("object", &format_args!("{:#x}", !self.hidden)).finish()
    }
}

impl Cleanup {
    /// Cancels this cleanup if it has not been queued yet (its object is still alive, or dead
    /// but not yet swept); its function and argument are dropped here. No effect once queued
    /// or run, or if already stopped. Other cleanups of the object are untouched.
    pub fn stop(self) {
        let Some(s) = STATE.get() else { return };
        let id = self.id;
        let found = specials::remove(!self.hidden, s.kind, |d| {
            // SAFETY: data of a cleanup special: a live record.
            unsafe { record::id(d) == id }
        });
        if let Some(d) = found {
            // SAFETY: removed from the specials: ours, never queued.
            unsafe { record::discard_record(d) };
        }
    }
}

/// Attaches a cleanup to `obj`: after `obj` becomes unreachable, `f(arg)` runs once on a
/// cleanup goroutine. Several cleanups per object are allowed; they run in no set order.
///
/// `f` and `arg` must not reference `obj` (that would keep it reachable forever, and the
/// cleanup would never run): `add` checks every word of both and panics if one points into the
/// object, as Go's `AddCleanup` does for `arg`.
///
/// # Panics
/// If `arg` or a capture of `f` points into `obj`; off a goroutine.
#[track_caller]
pub fn add<T, F, A>(obj: &Gc<T>, f: F, arg: A) -> Cleanup
where
    F: FnOnce(A) + Send + 'static,
    A: Send + 'static,
{
    add_at(obj.addr(), f, arg)
}

/// [`add`] for an interior address: `addr` may point anywhere inside a live heap object (a
/// field, an array element), as Go allows `AddCleanup(&obj.field, ...)`. The cleanup runs when
/// the whole object becomes unreachable.
///
/// # Panics
/// If `addr` is not inside a live heap object (a stack or global address, freed memory); the
/// misuse of [`add`]; off a goroutine.
#[track_caller]
pub fn add_at<F, A>(addr: usize, f: F, arg: A) -> Cleanup
where
    F: FnOnce(A) + Send + 'static,
    A: Send + 'static,
{
    let s = state();
    let Some(info) = tricolor_gc::raw::object_info(addr) else {
        panic!("cleanup::add: {addr:#x} is not inside a live heap object (a stack or global address, or freed memory); cleanups attach to collected objects only");
    };
    let id = match pin_proc() {
        Ok((np, p)) => s.queue.next_id(&np, p.0),
        Err(why) => panic!("cleanup::add {why}"),
    };
    let parts = record::new(id, f, arg);
    // The object's bytes: from its payload to the end of its slot.
    let (lo, hi) = (info.payload, info.end().max(info.payload + 1));
    let bad_arg = record::holds_pointer_into(parts.arg, lo, hi);
    let bad_f = record::holds_pointer_into(parts.f, lo, hi);
    if bad_arg || bad_f {
        // SAFETY: fresh record, never published.
        unsafe { record::discard_record(parts.rec as usize) };
        if bad_arg {
            panic!("cleanup::add: arg points into the object the cleanup is attached to ({addr:#x}); the object would stay reachable from its own cleanup, which would never run");
        }
        panic!("cleanup::add: the cleanup function captures a pointer into the object it is attached to ({addr:#x}); the object would stay reachable from its own cleanup, which would never run");
    }
    if let Err(e) = specials::add(addr, s.kind, record::data(&parts), false) {
        // SAFETY: as above.
        unsafe { record::discard_record(parts.rec as usize) };
        panic!("cleanup::add: {e}");
    }
    s.runner.ensure(&s.queue);
    Cleanup { id, hidden: !addr }
}

/// `Owned::new`'s registration on the fresh object at `addr`: `value` moves into the record,
/// whose body is scanned conservatively while the object lives (so a `Gc` inside `value` stays
/// valid), and the cleanup drops it. Returns the value's address in the record, stable until
/// the cleanup runs. No misuse checks, and no look at `value`'s bytes on this path: the object
/// was allocated after `value` was made, so nothing in it can point into the object.
pub(crate) fn add_owned<R: Send + 'static>(addr: usize, value: R) -> usize {
    let s = state();
    let id = match pin_proc() {
        Ok((np, p)) => s.queue.next_id(&np, p.0),
        Err(why) => panic!("cleanup::Owned::new {why}"),
    };
    let parts = record::new(id, drop::<R>, value);
    let at = parts.arg.0;
    if let Err(e) = specials::add(addr, s.kind, record::data(&parts), false) {
        // SAFETY: fresh record, never published.
        unsafe { record::discard_record(parts.rec as usize) };
        panic!("cleanup::Owned::new: {e}");
    }
    s.runner.ensure(&s.queue);
    at
}

/// What the cleanup machinery has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Cleanups queued since the process started (their objects died).
    pub queued: u64,
    /// Cleanups finished (returned or panicked).
    pub run: u64,
    /// Cleanups running now.
    pub running: usize,
    /// Cleanups that panicked.
    pub panicked: u64,
    /// Cleanup goroutines started (at most `max(procs / 4, 1)`).
    pub goroutines: usize,
    /// How long the longest-running current cleanup has been running, as far as `stats()`
    /// calls have seen it (from the first call that found it running: a lower bound, exact to
    /// the interval between calls). A cleanup that blocks the pool shows here.
    pub oldest_running: Option<Duration>,
}

/// A snapshot of the counters.
pub fn stats() -> Stats {
    let Some(s) = STATE.get() else { return Stats::default() };
    let (queued, run) = s.queue.progress();
    let (goroutines, running, oldest_running, panicked) = s.runner.snapshot();
    Stats { queued, run, running, panicked, goroutines, oldest_running }
}

/// Waits until every cleanup queued so far has run (partial blocks are flushed first), or
/// `timeout` passes; returns whether it finished. Objects found dead by a collection are
/// queued as their spans are swept: after `tricolor_gc::collect()`, which sweeps everything,
/// all of them are. Parks the goroutine between checks; works off a goroutine too.
pub fn wait_idle(timeout: Duration) -> bool {
    let Some(s) = STATE.get() else { return true };
    let deadline = Instant::now() + timeout;
    let mut nap = Duration::from_micros(20);
    loop {
        s.queue.flush();
        if on_goroutine() {
            s.runner.ensure(&s.queue);
        }
        let (queued, done) = s.queue.progress();
        if queued == done {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        let d = nap.min(deadline - now);
        if on_goroutine() {
            tricolor_runtime::sleep(d);
        } else {
            std::thread::sleep(d);
        }
        nap = (nap * 2).min(Duration::from_millis(1));
    }
}

/// A hook told the message of a panicking cleanup.
pub type PanicHook = Box<dyn Fn(&str) + Send + Sync>;

/// Installs a hook told the message of every cleanup that panics (after the report on
/// stderr); `None` removes it. It runs on the cleanup goroutine that caught the panic.
pub fn set_panic_hook(hook: Option<PanicHook>) {
    state().runner.set_hook(hook.map(Arc::from));
}
