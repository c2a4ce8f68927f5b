//! `GcCell`: a heap pointer field that can change after allocation. The only safe way to store a
//! pointer into an existing object (STYLE 19, DESIGN decision 4): `set` runs the write barrier
//! before the store, and the slot is atomic because concurrent markers read it.
//!
//! ```compile_fail
//! use tricolor_gc::{Gc, GcCell};
//! // A plain `Gc` field cannot be changed through `&T`: there is no barrier-free path.
//! fn relink(a: Gc<(Gc<u64>,)>, b: Gc<u64>) { a.0 = b; }
//! ```

use crate::object::gc::Gc;
use crate::object::trace::{Trace, Tracer};
use crate::sync::atomic::{AtomicUsize, Ordering};
use std::fmt;

/// A one-word pointer value that can live in a `GcCell`: every handle type (`Gc<T>`,
/// `GcArray<T>`, `GcStr`, and in the sibling crates `Owned<R>`, `Interned<T>`, `weak::Pointer<T>`)
/// and `Option` of each `GcHandle`.
///
/// # Safety
/// `to_word` returns a payload address or 0, and `from_word` inverts it.
pub unsafe trait GcPtr: Copy {
    /// The value as a word (0 for none).
    fn to_word(self) -> usize;
    /// # Safety
    /// `w` came from `to_word` of the same type and the object is alive.
    unsafe fn from_word(w: usize) -> Self;
}

/// A `GcPtr` that always names one object: its word is that object's payload address, never
/// 0. `Option<H>` is then a `GcPtr` too (0 for `None`), and `tricolor_weak::Weak<H>` can point
/// at it.
///
/// # Safety
/// 1. `to_word` never returns 0;
/// 2. it returns the payload address of a heap object (what `Gc::addr` returns for it), not an
///    interior or tagged address;
/// 3. `from_word` of that address, while the object is alive, rebuilds an equal handle.
pub unsafe trait GcHandle: GcPtr {}

// SAFETY: the payload address, never 0.
unsafe impl<T> GcPtr for Gc<T> {
    fn to_word(self) -> usize {
        self.addr()
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe { Gc::from_addr(w) }
    }
}
// SAFETY: `Gc::addr` is the payload address, never 0 (a `NonNull`).
unsafe impl<T> GcHandle for Gc<T> {}

// SAFETY: 0 for None, the handle's word otherwise, which is never 0 (`GcHandle` obligation 1),
// so the two cases cannot be confused.
unsafe impl<H: GcHandle> GcPtr for Option<H> {
    fn to_word(self) -> usize {
        self.map_or(0, |h| h.to_word())
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: a non-zero word came from `H::to_word` (forwarded contract).
        (w != 0).then(|| unsafe { H::from_word(w) })
    }
}

/// A mutable pointer slot inside a heap object.
pub struct GcCell<P: GcPtr> {
    word: AtomicUsize,
    _marker: std::marker::PhantomData<P>,
}

// SAFETY: the slot is an atomic word; P: GcPtr values are Send/Sync when their targets are.
unsafe impl<P: GcPtr + Send> Send for GcCell<P> {}
// SAFETY: as above.
unsafe impl<P: GcPtr + Sync> Sync for GcCell<P> {}

impl<P: GcPtr> GcCell<P> {
    /// A slot holding `v`.
    pub fn new(v: P) -> GcCell<P> {
        GcCell { word: AtomicUsize::new(v.to_word()), _marker: std::marker::PhantomData }
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> P {
        // Acquire pairs with the Release in `set`: the target's initialisation is visible.
        // SAFETY: the word was written by `new`/`set` from a `P`, and the slot is inside a
        // reachable object, so its target is reachable too.
        unsafe { P::from_word(self.word.load(Ordering::Acquire)) }
    }

    /// Stores `v` through the write barrier.
    #[inline]
    pub fn set(&self, v: P) {
        let new = v.to_word();
        let c = crate::collector::collector();
        if new != 0 && c.debug.poisonfree {
            // Storing a freed object would hide a use-after-free until later.
            crate::debug::poison::check_live(new, std::any::type_name::<P>());
        }
        if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
            crate::mark::barrier::not_goroutine();
        }
        // Barrier and Release store, never split by a stop (`mark/barrier.rs`).
        crate::mark::barrier::store_ptr_word(c, &self.word, new);
    }
}

impl<P: GcPtr> fmt::Debug for GcCell<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GcCell({:#x})", self.word.load(Ordering::Relaxed))
    }
}

// SAFETY: reports the word it holds.
unsafe impl<P: GcPtr> Trace for GcCell<P> {
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        // Acquire pairs with `set`'s Release: a concurrent marker that reads the new target
        // also sees its published header (else it would mark it and skip its scan). A value
        // replaced meanwhile was shaded by the barrier.
        t.edge(self.word.load(Ordering::Acquire))
    }
}
