//! `PerP<T>`: state with one instance per P, reached only with proof of who may touch it
//! (DESIGN decision 5, reference §4.1). One protection scheme for the collector's per-P state
//! (allocation caches, mark work, write-barrier buffers):
//!
//! - `with(&Pinned, f)`: the goroutine holding the P, with preemption disabled for as long as
//!   the `Pinned` token lives (the P cannot change under it, and no other goroutine runs on
//!   it).
//! - `with_stopped(&WorldStopped, p, f)`: the stopper, any P (every P is halted).
//! - `with_at_safepoint(p, f)` (unsafe): a `for_each_p` or `run_on_all_ps` function running on
//!   P `p`'s behalf; the caller names the ragged barrier that gives it the P.
//!
//! Each slot carries a busy flag: a nested or concurrent use of the same slot (a rule broken
//! somewhere) aborts with the slot instead of aliasing a `&mut`. The flag is a load and a
//! store on the owner's cache line.

use crate::sync::atomic::{AtomicBool, Ordering};
use crate::sync::cell::UnsafeCell;
use tricolor_runtime::hooks::NoProc;
use tricolor_runtime::{NoPreempt, ProcId, WorldStopped};

/// Proof that the current goroutine holds P `p` and cannot be preempted (`hooks::pin_proc`).
#[derive(Debug)]
pub(crate) struct Pinned {
    _np: NoPreempt,
    p: ProcId,
}

impl Pinned {
    /// Pins the current goroutine to its P.
    #[inline]
    pub(crate) fn new() -> Result<Pinned, NoProc> {
        let (np, p) = tricolor_runtime::hooks::pin_proc()?;
        Ok(Pinned { _np: np, p })
    }

    /// `new`, and whether the goroutine's stack is black for cycle `gen` (one lookup).
    #[inline]
    pub(crate) fn new_scanned(gen: u64) -> Result<(Pinned, bool), NoProc> {
        let (np, p, scanned) = tricolor_runtime::hooks::pin_proc_scanned(gen)?;
        Ok((Pinned { _np: np, p }, scanned))
    }
}

#[repr(align(64))]
struct Slot<T> {
    busy: AtomicBool,
    v: UnsafeCell<T>,
}

/// One `T` per P.
pub(crate) struct PerP<T> {
    slots: Box<[Slot<T>]>,
}

// SAFETY: a slot is reached only through the access rules above, which give one thread at a
// time the slot (checked by `busy`); T moves between threads with its P.
unsafe impl<T: Send> Sync for PerP<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for PerP<T> {}

impl<T> std::fmt::Debug for PerP<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerP").field("procs", &self.slots.len()).finish()
    }
}

impl<T> PerP<T> {
    pub(crate) fn new(procs: usize, mut make: impl FnMut(usize) -> T) -> PerP<T> {
        PerP { slots: (0..procs).map(|i| Slot { busy: AtomicBool::new(false), v: UnsafeCell::new(make(i)) }).collect() }
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The pinned goroutine's P's instance.
    #[inline]
    pub(crate) fn with<R>(&self, pin: &Pinned, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: the pin proves this thread holds P `pin.p` without preemption.
        unsafe { self.enter(pin.p.0, f) }
    }

    /// Any P's instance, for the stopper.
    pub(crate) fn with_stopped<R>(&self, _w: &WorldStopped, p: usize, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: the world is stopped and only the stopper holds the token.
        unsafe { self.enter(p, f) }
    }

    /// P `p`'s instance, from a function a ragged barrier (`for_each_p`) or a stop's
    /// `run_on_all_ps` runs on `p`'s behalf.
    ///
    /// # Safety
    /// The caller runs on P `p`'s behalf at its safepoint (no goroutine holds it meanwhile).
    pub(crate) unsafe fn with_at_safepoint<R>(&self, p: usize, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: the caller's contract.
        unsafe { self.enter(p, f) }
    }

    /// # Safety
    /// The caller has the access rights described in the module docs for slot `p`.
    #[inline]
    unsafe fn enter<R>(&self, p: usize, f: impl FnOnce(&mut T) -> R) -> R {
        let s = &self.slots[p];
        // Relaxed: the access rules order the slot's users (P hand-offs, stops); the flag only
        // catches a broken rule on the same or an overlapping thread.
        if s.busy.load(Ordering::Relaxed) {
            tricolor_runtime::throw!("gc: per-P state of P{p} entered twice (nested or concurrent use)");
        }
        s.busy.store(true, Ordering::Relaxed);
        struct Leave<'a>(&'a AtomicBool);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.store(false, Ordering::Relaxed);
            }
        }
        let _leave = Leave(&s.busy);
        // SAFETY: exclusive by the caller's access rights, checked by `busy`.
        s.v.with_mut(|v| f(unsafe { &mut *v }))
    }
}
