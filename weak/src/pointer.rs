//! `Weak<H>`: the typed weak pointer over the collector's handle cells (`tricolor_gc::weak`:
//! `make` and the upgrade protocol live there), generic over what it upgrades to through
//! `WeakTarget`; `PinnedWeak`, which keeps one usable from unscanned memory. The field
//! reference `Field` is in `field.rs`.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use tricolor_gc::{Gc, GcHandle, Root, Trace, Tracer};

/// What a [`Weak`] can point at and upgrade to: every `GcHandle` (`Gc<T>`, `GcArray<T>`,
/// `GcStr`, `Owned<R>`, `Interned<T>`), and [`Field`](crate::Field).
///
/// # Safety
/// 1. `weak_addr` returns an address inside the live heap object the value keeps alive (its
///    payload address, or an interior address for a field);
/// 2. `from_weak_addr` of that address, while the object is alive, rebuilds an equal value;
/// 3. equal values have equal `weak_addr`s, so their weak pointers are equal.
pub unsafe trait WeakTarget: Copy {
    /// The address the weak pointer is made from.
    fn weak_addr(self) -> usize;
    /// Rebuilds the value from `weak_addr`'s result.
    ///
    /// # Safety
    /// `addr` came from `weak_addr` of the same type, and its object is alive.
    unsafe fn from_weak_addr(addr: usize) -> Self;
}

// SAFETY: a `GcHandle`'s word is its object's payload address, never 0, and `from_word`
// rebuilds an equal handle from it (`GcHandle` obligations 1-3).
unsafe impl<H: GcHandle> WeakTarget for H {
    #[inline]
    fn weak_addr(self) -> usize {
        self.to_word()
    }
    #[inline]
    unsafe fn from_weak_addr(addr: usize) -> Self {
        // SAFETY: forwarded contract: `addr` is `to_word` of a live `H`.
        unsafe { H::from_word(addr) }
    }
}

/// A weak pointer that upgrades to an `H` (a handle or a `Field`). One word; `Copy`.
pub struct Weak<H> {
    cell: usize,
    _marker: PhantomData<*const H>,
}

/// A weak pointer to a `T` object (Go's `weak.Pointer[T]`): `Weak<Gc<T>>`.
pub type Pointer<T> = Weak<Gc<T>>;

// SAFETY: a Weak hands out `H` values (to whichever thread upgrades it): both moving it and
// sharing it need `H: Send`. For `Gc<T>` that is `T: Sync`, as it always was.
unsafe impl<H: Send> Send for Weak<H> {}
// SAFETY: as above.
unsafe impl<H: Send> Sync for Weak<H> {}

impl<H> Clone for Weak<H> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<H> Copy for Weak<H> {}

impl<H: WeakTarget> Weak<H> {
    /// A weak pointer to what `target` names.
    ///
    /// # Panics
    /// Off a goroutine or inside `blocking(..)` (it allocates the handle cell on first use),
    /// like `Gc::new`.
    #[track_caller]
    pub fn new(target: &H) -> Weak<H> {
        match tricolor_gc::weak::make(target.weak_addr()) {
            Ok(cell) => Weak { cell, _marker: PhantomData },
            Err(e) => panic!("weak::Weak::new: {e}"),
        }
    }

    /// The target, if its object is still alive.
    #[inline]
    pub fn upgrade(&self) -> Option<H> {
        if self.cell == 0 {
            return None;
        }
        let v = tricolor_gc::weak::upgrade(self.cell);
        // SAFETY: a non-zero cell value is the address this pointer was made from
        // (`weak_addr` of an `H`), alive (the upgrade protocol never returns a dead one); it
        // is now on our stack.
        (v != 0).then(|| unsafe { H::from_weak_addr(v) })
    }
}

impl<H> Weak<H> {
    /// The pointer to nothing; `upgrade` returns `None`.
    pub const fn null() -> Weak<H> {
        Weak { cell: 0, _marker: PhantomData }
    }

    /// Whether this is `Weak::null()`.
    pub fn is_null(&self) -> bool {
        self.cell == 0
    }

    /// A handle that keeps this pointer usable from memory the collector does not scan (a
    /// `Vec`, a map). It does not keep the object alive.
    pub fn pin(&self) -> PinnedWeak<H> {
        // SAFETY: the cell is a live one-word noscan object (it is on our stack).
        let root = (!self.is_null()).then(|| Root::new(unsafe { Gc::<std::sync::atomic::AtomicUsize>::from_addr(self.cell) }));
        PinnedWeak { ptr: *self, _root: root }
    }
}

impl<H> PartialEq for Weak<H> {
    fn eq(&self, o: &Self) -> bool {
        self.cell == o.cell
    }
}
impl<H> Eq for Weak<H> {}

impl<H> Hash for Weak<H> {
    fn hash<S: Hasher>(&self, h: &mut S) {
        self.cell.hash(h)
    }
}

impl<H> fmt::Debug for Weak<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            write!(f, "weak::Weak<{}>(null)", std::any::type_name::<H>())
        } else {
            write!(f, "weak::Weak<{}>(handle {:#x})", std::any::type_name::<H>(), self.cell)
        }
    }
}

impl<H> Default for Weak<H> {
    fn default() -> Self {
        Self::null()
    }
}

// SAFETY: reports the handle cell (keeping it alive), never the object.
unsafe impl<H> Trace for Weak<H> {
    fn trace(&self, t: &mut Tracer<'_>) {
        t.edge(self.cell)
    }
}

/// A weak pointer usable from any memory (see `Weak::pin`).
pub struct PinnedWeak<H> {
    ptr: Weak<H>,
    _root: Option<Root<std::sync::atomic::AtomicUsize>>,
}

/// A pinned `Pointer<T>`: `PinnedWeak<Gc<T>>`.
pub type PinnedPointer<T> = PinnedWeak<Gc<T>>;

impl<H> PinnedWeak<H> {
    /// The weak pointer.
    pub fn get(&self) -> Weak<H> {
        self.ptr
    }
}

impl<H> fmt::Debug for PinnedWeak<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pinned({:?})", self.ptr)
    }
}

// SAFETY: the word is the handle cell's payload address (a heap object) or 0, and `from_word`
// rebuilds the same pointer. A `GcCell<Weak<H>>` thus traces and write-barriers the cell,
// never the object: a mutable weak slot inside a heap object.
unsafe impl<H> tricolor_gc::GcPtr for Weak<H> {
    fn to_word(self) -> usize {
        self.cell
    }
    unsafe fn from_word(w: usize) -> Self {
        Weak { cell: w, _marker: PhantomData }
    }
}
