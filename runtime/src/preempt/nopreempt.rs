//! `NoPreempt`: a guard that raises the current M's no-preempt count (DESIGN decision 5, Go's
//! `acquirem`). While raised, `safepoint()` does not stop the goroutine, and runtime critical
//! sections (run queues, timers, allocation fast paths, write barriers) cannot be interrupted
//! by a scheduler entry on the same thread — the rule that prevents seed 001's self-deadlock
//! (reference §8.3, invariant 18). A request that arrives meanwhile stays pending in its flag
//! and is honoured at the next safepoint after the count drops.

use crate::m::{current_m, M};
use crate::sync::atomic::Ordering;
use std::marker::PhantomData;

/// Raises the no-preempt count for its lifetime. Not `Send`: it belongs to this thread's M.
#[derive(Debug)]
pub struct NoPreempt {
    m: Option<&'static M>,
    _not_send: PhantomData<*const ()>,
}

impl NoPreempt {
    /// Disables preemption of the current goroutine until the guard drops. On a thread that is
    /// not an M this is a no-op.
    #[inline]
    pub fn new() -> NoPreempt {
        let m = current_m();
        if let Some(m) = m {
            Self::raise(m);
        }
        NoPreempt { m, _not_send: PhantomData }
    }

    /// Raises the count of `m`, which must be this thread's M.
    #[inline]
    pub(crate) fn raise(m: &M) {
        // Load + store, not an RMW: only this thread writes its M's count (signal-based
        // preemption will only read it), so no lock prefix is needed. Relaxed: same thread.
        let n = m.locks.load(Ordering::Relaxed);
        m.locks.store(n + 1, Ordering::Relaxed);
        // The stack depth of code that handles heap addresses, for the exit's stack clearing
        // (`M::low_sp`). Relaxed load + store: this thread's own word.
        let sp = crate::arch::current_sp();
        if sp < m.low_sp.load(Ordering::Relaxed) {
            m.low_sp.store(sp, Ordering::Relaxed);
        }
    }

    /// The M whose count this guard raised (None off an M): this thread's, for as long as the
    /// guard lives (a no-preempt section never switches threads). Saves a thread-local lookup.
    #[inline]
    pub(crate) fn m(&self) -> Option<&'static M> {
        self.m
    }

    /// A guard for `m`, which must be this thread's M (saves the thread-local lookup).
    #[inline]
    pub(crate) fn for_m(m: &'static M) -> NoPreempt {
        Self::raise(m);
        NoPreempt { m: Some(m), _not_send: PhantomData }
    }
}

impl Default for NoPreempt {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NoPreempt {
    #[inline]
    fn drop(&mut self) {
        if let Some(m) = self.m {
            // Load + store: see `raise`.
            let prev = m.locks.load(Ordering::Relaxed);
            debug_assert!(prev > 0, "runtime: NoPreempt count underflow on M{}", m.id);
            m.locks.store(prev.wrapping_sub(1), Ordering::Relaxed);
        }
    }
}

/// Whether the current thread is inside a no-preempt section.
pub(crate) fn preempt_disabled(m: &M) -> bool {
    m.locks.load(Ordering::Relaxed) > 0
}
