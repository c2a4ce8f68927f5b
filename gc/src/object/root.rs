//! Explicit roots: `Root<T>` handles (a `Gc` the collector treats as reachable while the handle
//! lives, wherever the handle is kept — a `Vec`, a thread, a `static`), the registry that also
//! holds `Rooted`/`RootedVec` (`rooted.rs`), and VM root scanners (callbacks that report
//! pointers from the VM's own structures).
//!
//! The handle registry is sharded by P (`tricolor_runtime::registry`, ARCHITECTURE decision
//! 49): creating or dropping a root takes its P's shard lock, never a global one. The root job
//! (`trace_handles`, concurrent with the goroutines) walks every shard; a handle created or
//! dropped while marking shades its value in the same no-preempt section as the registration
//! (reference §3.1, invariants 2-3), so the walk may come before or after it.

use crate::object::gc::Gc;
use crate::object::trace::Tracer;
use crate::sync::Mutex;
use std::fmt;
use tricolor_runtime::registry::{Registry, Ticket};

/// What the registry holds for one root.
#[derive(Clone, Copy)]
pub(crate) enum RootEntry {
    /// A `Root<T>`: one payload address.
    Word(usize),
    /// A `Rooted`/`RootedVec`: its box and the function that traces it under the box's lock.
    Traced { data: *const (), trace: unsafe fn(*const (), &mut Tracer<'_>) },
}

// SAFETY: `Traced.data` points at a `RootBox` whose contents are traced only under its own
// lock, from any thread (`rooted.rs`), and which outlives its registration.
unsafe impl Send for RootEntry {}

type Scanner = Box<dyn Fn(&mut Tracer<'_>) + Send + Sync>;

/// Roots known to the collector.
pub(crate) struct Roots {
    /// Every live `Root`, `Rooted` and `RootedVec`, sharded by P.
    pub(crate) handles: Registry<RootEntry>,
    scanners: Mutex<Vec<Option<Scanner>>>,
}

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roots").finish_non_exhaustive()
    }
}

impl Default for Roots {
    fn default() -> Self {
        Roots { handles: Registry::new(), scanners: Mutex::new(Vec::new()) }
    }
}

impl Roots {
    /// Reports every root handle: a concurrent root job, each shard under its lock and each
    /// `Rooted`/`RootedVec` under its own (`rooted.rs` step 2). Handles created or dropped
    /// while marking shade what they add or remove, so the job may come before or after them.
    pub(crate) fn trace_handles(&self, t: &mut Tracer<'_>) {
        self.handles.for_each(|e| match e {
            RootEntry::Word(a) => t.edge(a),
            // SAFETY: the entry is registered (we hold its shard's lock, which unregistering
            // needs), so its box is alive (`rooted.rs` step 1).
            RootEntry::Traced { data, trace } => unsafe { trace(data, t) },
        });
    }

    /// Reports every channel's buffered values, conservatively (`runtime/src/gsync/chan/
    /// buffers.rs` step 2): a concurrent root job, each buffer under its channel's lock.
    pub(crate) fn trace_channels(&self, t: &mut Tracer<'_>) {
        tricolor_runtime::scan::for_each_chan_buffer(|lo, hi| t.w.scan_range_conservative(lo, hi));
    }

    /// Runs every VM root scanner (world stopped).
    pub(crate) fn trace_scanners(&self, t: &mut Tracer<'_>) {
        for s in self.scanners.lock().iter().flatten() {
            s(t);
        }
    }
}

/// A `Gc` that stays alive while this handle exists, wherever the handle is stored (any
/// thread). Creating and dropping one takes a per-P lock, not a global one. For a `Trace` value
/// other than a lone `Gc` (a struct, a tagged VM value) use `Rooted`; for a growable stack of
/// them, `RootedVec`.
///
/// ```
/// use tricolor_gc::{Gc, Root};
/// tricolor_runtime::block_on(|| {
///     let r = Root::new(Gc::new(7u64));
///     let kept: Vec<Root<u64>> = vec![r.clone()]; // Rust memory the collector does not scan
///     tricolor_gc::collect();
///     assert_eq!(*kept[0], 7);
/// });
/// ```
pub struct Root<T> {
    gc: Gc<T>,
    ticket: Ticket,
}

// SAFETY: the handle only exposes the `Gc`, which is Send/Sync when `T: Sync`.
unsafe impl<T: Sync> Send for Root<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Root<T> {}

impl<T> Root<T> {
    /// Roots `gc` until the handle is dropped.
    pub fn new(gc: Gc<T>) -> Root<T> {
        // One no-preempt section: no stop (phase change) between the registration and the
        // shade's phase check (invariant 3).
        let np = tricolor_runtime::NoPreempt::new();
        let ticket = crate::collector::collector().roots.handles.register(&np, RootEntry::Word(gc.addr()));
        // A new root while marking: the handles' root job may have passed (root mutation).
        crate::mark::barrier::shade(gc.addr());
        Root { gc, ticket }
    }

    /// The rooted pointer.
    pub fn get(&self) -> Gc<T> {
        self.gc
    }
}

impl<T> Clone for Root<T> {
    fn clone(&self) -> Self {
        Root::new(self.gc)
    }
}

impl<T> std::ops::Deref for Root<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // The Gc's own deref does the debug checks.
        let g: &Gc<T> = &self.gc;
        g
    }
}

impl<T> Drop for Root<T> {
    fn drop(&mut self) {
        let np = tricolor_runtime::NoPreempt::new();
        // Deletion while marking: a stack already scanned may hold what only this root kept.
        crate::mark::barrier::shade(self.gc.addr());
        crate::collector::collector().roots.handles.unregister(&np, self.ticket);
    }
}

impl<T> fmt::Debug for Root<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root({:?})", self.gc)
    }
}

/// A registered VM root scanner; unregistered on drop.
#[derive(Debug)]
pub struct RootScanner {
    index: usize,
}

/// Registers `f`, called during every collection (with the world stopped, on any thread) to
/// report pointers held in the VM's own memory with `Tracer::edge`. It must not allocate, block
/// or take locks that goroutines may hold.
pub fn add_root_scanner(f: impl Fn(&mut Tracer<'_>) + Send + Sync + 'static) -> RootScanner {
    let c = crate::collector::collector();
    let _np = tricolor_runtime::NoPreempt::new();
    let mut v = c.roots.scanners.lock();
    v.push(Some(Box::new(f)));
    RootScanner { index: v.len() - 1 }
}

impl Drop for RootScanner {
    fn drop(&mut self) {
        let c = crate::collector::collector();
        let _np = tricolor_runtime::NoPreempt::new();
        c.roots.scanners.lock()[self.index] = None;
    }
}
