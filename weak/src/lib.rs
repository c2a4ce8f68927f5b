//! Weak pointers that are part of the collector (DESIGN decision 10, reference §9), after Go's
//! `weak` package, and an interning table built on them (`intern.rs`, Go's `unique`).
//!
//! A [`Pointer<T>`] is one word: the address of a *handle cell* the collector owns for its
//! object. Guarantees:
//!
//! - It never keeps its object alive: an object reachable only through weak pointers is
//!   collected.
//! - `upgrade` never returns an object the collector has decided is dead, even while a
//!   collection runs, and an upgraded object is reachable like any other `Gc` on the stack.
//! - Pointers made from the same object compare equal, from any goroutine, at any time; a
//!   pointer made after the object died and a new object took its address compares unequal.
//! - A pointer reads empty before any cleanup of its object starts (tricolor-cleanup), and
//!   forever after.
//!
//! Not guaranteed: *when* a pointer reads empty (the next collection that finds the object
//! unreachable, once its span is swept — a word on a stack that happens to look like the
//! object's address keeps it alive, since stacks are scanned conservatively).
//!
//! Like a `Gc`, a `Pointer` must live where the collector looks (a goroutine stack, a traced
//! field): its cell is a heap object. Keep one in Rust memory with [`Pointer::pin`].
//!
//! ```
//! use tricolor_gc::{collect, Gc};
//! use tricolor_weak::Pointer;
//!
//! tricolor_runtime::block_on(|| {
//!     let strong = Gc::new(42u64);
//!     let weak = Pointer::new(&strong);
//!     assert_eq!(weak, Pointer::new(&strong));
//!     assert_eq!(*weak.upgrade().unwrap(), 42);
//! });
//! ```

#![warn(missing_docs)]

mod intern;

pub use intern::{Interned, Interner};

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use tricolor_gc::{Gc, Root, Trace, Tracer};

/// A weak pointer to a `T` in the collected heap. One word; `Copy`.
pub struct Pointer<T> {
    cell: usize,
    _marker: PhantomData<*const T>,
}

// SAFETY: a Pointer hands out `Gc<T>`, which is Send/Sync when `T: Sync`.
unsafe impl<T: Sync> Send for Pointer<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Pointer<T> {}

impl<T> Clone for Pointer<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Pointer<T> {}

impl<T> Pointer<T> {
    /// A weak pointer to `obj`.
    ///
    /// # Panics
    /// Off a goroutine or inside `blocking(..)` (it allocates the handle cell on first use),
    /// like `Gc::new`.
    #[track_caller]
    pub fn new(obj: &Gc<T>) -> Pointer<T> {
        match tricolor_gc::weak::make(obj.addr()) {
            Ok(cell) => Pointer { cell, _marker: PhantomData },
            Err(e) => panic!("weak::Pointer::new: {e}"),
        }
    }

    /// The pointer to nothing; `upgrade` returns `None`.
    pub const fn null() -> Pointer<T> {
        Pointer { cell: 0, _marker: PhantomData }
    }

    /// Whether this is `Pointer::null()`.
    pub fn is_null(&self) -> bool {
        self.cell == 0
    }

    /// The object, if it is still alive.
    #[inline]
    pub fn upgrade(&self) -> Option<Gc<T>> {
        if self.cell == 0 {
            return None;
        }
        let v = tricolor_gc::weak::upgrade(self.cell);
        // SAFETY: a non-zero cell value is the payload of the object this pointer was made
        // from, alive (the upgrade protocol never returns a dead one); it is now on our stack.
        (v != 0).then(|| unsafe { Gc::from_addr(v) })
    }

    /// A handle that keeps this pointer usable from memory the collector does not scan (a
    /// `Vec`, a map). It does not keep the object alive.
    pub fn pin(&self) -> PinnedPointer<T> {
        // SAFETY: the cell is a live one-word noscan object (it is on our stack).
        let root = (!self.is_null()).then(|| Root::new(unsafe { Gc::<std::sync::atomic::AtomicUsize>::from_addr(self.cell) }));
        PinnedPointer { ptr: *self, _root: root }
    }
}

impl<T> PartialEq for Pointer<T> {
    fn eq(&self, o: &Self) -> bool {
        self.cell == o.cell
    }
}
impl<T> Eq for Pointer<T> {}

impl<T> Hash for Pointer<T> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.cell.hash(h)
    }
}

impl<T> fmt::Debug for Pointer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            write!(f, "weak::Pointer<{}>(null)", std::any::type_name::<T>())
        } else {
            write!(f, "weak::Pointer<{}>(handle {:#x})", std::any::type_name::<T>(), self.cell)
        }
    }
}

impl<T> Default for Pointer<T> {
    fn default() -> Self {
        Self::null()
    }
}

// SAFETY: reports the handle cell (keeping it alive), never the object.
unsafe impl<T> Trace for Pointer<T> {
    fn trace(&self, t: &mut Tracer<'_>) {
        t.edge(self.cell)
    }
}

/// A weak pointer usable from any memory (see `Pointer::pin`).
pub struct PinnedPointer<T> {
    ptr: Pointer<T>,
    _root: Option<Root<std::sync::atomic::AtomicUsize>>,
}

impl<T> PinnedPointer<T> {
    /// The weak pointer.
    pub fn get(&self) -> Pointer<T> {
        self.ptr
    }
}

impl<T> fmt::Debug for PinnedPointer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pinned({:?})", self.ptr)
    }
}

// SAFETY: the word is the handle cell's payload address (a heap object) or 0, and `from_word`
// rebuilds the same pointer. A `GcCell<Pointer<T>>` thus traces and write-barriers the cell,
// never the object: a mutable weak slot inside a heap object.
unsafe impl<T> tricolor_gc::GcPtr for Pointer<T> {
    fn to_word(self) -> usize {
        self.cell
    }
    unsafe fn from_word(w: usize) -> Self {
        Pointer { cell: w, _marker: PhantomData }
    }
}
