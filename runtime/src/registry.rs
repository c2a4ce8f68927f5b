//! `Registry`: a set of small `Copy` entries sharded by P, for things that register and
//! unregister often from many goroutines and are walked rarely by one scanner — the
//! collector's root handles (`tricolor_gc::Root`, `Rooted`, `RootedVec`) and the channel
//! buffers the collector scans (`gsync/chan/buffers.rs`). ARCHITECTURE decision 49.
//!
//! A registration takes the lock of the shard of the P it runs on (a thread's own shard off a
//! P), so goroutines on different Ps never contend; the unregistration takes the same shard's
//! lock from wherever the handle is dropped. A walk (`for_each`) takes each shard's lock in
//! turn and sees every entry registered before it took that lock and not unregistered since.
//! The shard locks are `NpMutex`es: a holder cannot be stopped by a stop-the-world, so a
//! walker inside one always gets them (a holder off a P finishes without the world's help).
//!
//! Only the table lives here; what an entry means, and the barrier that makes a walk during
//! concurrent marking sufficient, are the registering module's (`gc/src/object/root.rs`).

use crate::preempt::NoPreempt;
use crate::sync::NpMutex;
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Shards per registry: at least the procs of a typical machine, so each P has its own; Ps
/// beyond it share (`p % SHARDS`).
pub const SHARDS: usize = 64;

/// Where an entry sits, for `Registry::unregister`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    shard: u32,
    slot: u32,
}

/// One shard: a slab with a free list. Padded to its own cache lines (Ps write their own).
#[repr(align(128))]
struct Shard<E> {
    /// Under the shard's lock: `None` marks a free slot, whose index is in `free`.
    slab: NpMutex<Slab<E>>,
}

struct Slab<E> {
    slots: Vec<Option<E>>,
    free: Vec<u32>,
}

/// A sharded registry of `E`s; see the module docs.
///
/// ```
/// use tricolor_runtime::{registry::Registry, NoPreempt};
/// let r = Registry::<u64>::new();
/// let np = NoPreempt::new();
/// let t = r.register(&np, 7);
/// let mut seen = Vec::new();
/// r.for_each(|e| seen.push(e));
/// assert_eq!(seen, [7]);
/// assert_eq!(r.unregister(&np, t), 7);
/// assert!(r.is_empty());
/// ```
pub struct Registry<E: Copy> {
    shards: Box<[Shard<E>]>,
}

impl<E: Copy> std::fmt::Debug for Registry<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<E: Copy> Default for Registry<E> {
    fn default() -> Self {
        Self::new()
    }
}

thread_local! {
    /// Off a P: this thread's shard, dealt round-robin on first use.
    static THREAD_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The next shard dealt to a thread without a P. A plain std static (not the loom façade):
/// a counter that only spreads threads, no protocol to model.
static NEXT_THREAD_SHARD: AtomicUsize = AtomicUsize::new(0);

/// The calling goroutine's P's shard, or its thread's off a P (`np` names the M, if any,
/// without another thread-local lookup; the P cannot change while it lives).
#[inline]
fn my_shard(np: &NoPreempt) -> usize {
    if let Some(p) = np.m().and_then(|m| m.p()) {
        return p.id % SHARDS;
    }
    THREAD_SHARD.with(|s| {
        if s.get() == usize::MAX {
            // Relaxed: only spreads threads over shards; any value is correct.
            s.set(NEXT_THREAD_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS);
        }
        s.get()
    })
}

impl<E: Copy> Registry<E> {
    /// An empty registry.
    pub fn new() -> Registry<E> {
        Registry { shards: (0..SHARDS).map(|_| Shard { slab: NpMutex::new(Slab { slots: Vec::new(), free: Vec::new() }) }).collect() }
    }

    /// Adds `e` in the calling P's shard, inside the caller's no-preempt section `np` (a
    /// registrant that checks the collector's phase holds one across the registration and the
    /// check anyway). Any thread. Does not park; allocates Rust memory only when the shard's
    /// slab grows.
    #[inline]
    pub fn register(&self, np: &NoPreempt, e: E) -> Ticket {
        let shard = my_shard(np);
        let mut s = self.shards[shard].slab.lock_in(np);
        let slot = match s.free.pop() {
            Some(i) => {
                s.slots[i as usize] = Some(e);
                i
            }
            None => {
                s.slots.push(Some(e));
                u32::try_from(s.slots.len() - 1).unwrap_or_else(|_| crate::throw!("runtime: registry shard {shard} over 2^32 entries"))
            }
        };
        Ticket { shard: shard as u32, slot }
    }

    /// Removes the entry `t` names and returns it, inside the caller's no-preempt section.
    /// Any thread.
    #[inline]
    pub fn unregister(&self, np: &NoPreempt, t: Ticket) -> E {
        let mut s = self.shards[t.shard as usize].slab.lock_in(np);
        let e = s.slots[t.slot as usize].take().unwrap_or_else(|| crate::throw!("runtime: registry ticket {t:?} unregistered twice"));
        s.free.push(t.slot);
        e
    }

    /// Calls `f` with every entry, each shard under its lock (`f` runs with that lock held: it
    /// must not register or unregister in this registry, park or take a lock an entry's
    /// registrant holds while registering).
    pub fn for_each(&self, mut f: impl FnMut(E)) {
        for shard in self.shards.iter() {
            for e in shard.slab.lock().slots.iter().flatten() {
                f(*e);
            }
        }
    }

    /// Entries registered now (racy across shards).
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                let s = s.slab.lock();
                s.slots.len() - s.free.len()
            })
            .sum()
    }

    /// Whether no entry is registered now (racy across shards).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn register_walk_unregister() {
        let r = Registry::<usize>::new();
        let np = NoPreempt::new();
        let a = r.register(&np, 1);
        let b = r.register(&np, 2);
        let mut seen = Vec::new();
        r.for_each(|e| seen.push(e));
        seen.sort();
        assert_eq!(seen, [1, 2]);
        assert_eq!(r.unregister(&np, a), 1);
        // The freed slot is reused.
        let c = r.register(&np, 3);
        assert_eq!(c, a);
        assert_eq!(r.unregister(&np, b), 2);
        assert_eq!(r.len(), 1);
        assert_eq!(r.unregister(&np, c), 3);
        assert!(r.is_empty());
    }
}
