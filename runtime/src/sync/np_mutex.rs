//! `NpMutex`: parking_lot's mutex whose guard holds a no-preempt section (DESIGN decision 5,
//! Go's `lock` raising `m.locks`). The preemption signal never suspends a goroutine that
//! holds one (`runtime/src/preempt/signal.rs`), so a stopper — the collector inside a
//! stop-the-world — can take any of the runtime's and the collector's locks while goroutines
//! are suspended in place. Found by `tests/collect_loop_sleeper.rs`: a goroutine suspended
//! while holding a collector lock hung the stop that needed it. Hand-rolled around
//! parking_lot because the guard must carry the section; `const fn new` serves statics.

use std::fmt;
use std::ops::{Deref, DerefMut};

/// A lock without poisoning whose holder cannot be preempted; see the module docs. Exported
/// (`hooks::NpMutex`) for the collector's own locks.
pub struct NpMutex<T: ?Sized>(parking_lot::Mutex<T>);

/// Guard of an `NpMutex`. Field order: the lock is released before preemption is enabled.
pub struct NpGuard<'a, T: ?Sized> {
    guard: parking_lot::MutexGuard<'a, T>,
    _np: crate::preempt::NoPreempt,
}

impl<T> NpMutex<T> {
    /// An unlocked mutex holding `v`.
    pub const fn new(v: T) -> Self {
        NpMutex(parking_lot::Mutex::new(v))
    }
}

impl<T: ?Sized> NpMutex<T> {
    /// Takes the lock (blocking the thread), inside a no-preempt section.
    #[inline]
    pub fn lock(&self) -> NpGuard<'_, T> {
        let np = crate::preempt::NoPreempt::new();
        NpGuard { guard: self.0.lock(), _np: np }
    }

    /// Takes the lock inside the caller's no-preempt section `_np` (saves raising another);
    /// the caller releases the guard before `_np` ends (the borrow checker does not see it:
    /// keep the guard inside the function that holds `_np`).
    #[inline]
    pub(crate) fn lock_in(&self, _np: &crate::preempt::NoPreempt) -> parking_lot::MutexGuard<'_, T> {
        self.0.lock()
    }
}

impl<T: Default> Default for NpMutex<T> {
    fn default() -> Self {
        NpMutex::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for NpMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: ?Sized> Deref for NpGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for NpGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for NpGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        (**self).fmt(f)
    }
}
