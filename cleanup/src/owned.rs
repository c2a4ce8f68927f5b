//! `Owned<R>`: a collected object that owns a Rust value with a destructor (DESIGN decision 3).
//! `Gc<T>` refuses types that need dropping — the sweeper frees memory and runs no user code —
//! so a value that owns a file, a buffer or a foreign handle lives as the argument of a
//! cleanup registered on a small collected object, which holds the value's address; the
//! cleanup drops it after the object dies: on a cleanup goroutine, never in the sweeper.
//!
//! The value sits in the cleanup's record, off the heap, which the collector scans
//! conservatively while the object lives: a `Gc` inside the value stays valid. (Before, the
//! value was boxed untraced and `new` refused values holding heap addresses by reading every
//! byte of them — padding and unused enum bytes included, which is undefined behaviour and
//! panicked falsely on stale bytes; issue 9 item 6.) A value that references its own `Owned`
//! object keeps it alive forever, like a cleanup whose argument references its object.

use std::marker::PhantomData;
use std::ops::Deref;
use tricolor_gc::{Gc, GcHandle, GcPtr, Trace, Tracer};

/// The collected part: the value's address in its cleanup record, as an integer (the record
/// is not on the heap).
struct Cell {
    addr: usize,
}

// SAFETY: holds no heap pointers.
unsafe impl Trace for Cell {
    const NO_TRACE: bool = true;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

/// A handle to a collected object owning an `R`; `Copy` like `Gc`, and like a `Gc` it must
/// live where the collector looks (a goroutine stack, a traced field, a `Root`).
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
/// use std::time::Duration;
/// tricolor_runtime::block_on(|| {
///     struct File(Arc<AtomicBool>);
///     impl Drop for File {
///         fn drop(&mut self) { self.0.store(true, Ordering::SeqCst) }
///     }
///     let closed = Arc::new(AtomicBool::new(false));
///     #[inline(never)]
///     fn open(c: Arc<AtomicBool>) {
///         let f = tricolor_cleanup::Owned::new(File(c));
///         assert!(!f.0.load(Ordering::SeqCst));
///     }
///     open(closed.clone());
///     for _ in 0..20 {
///         tricolor_gc::collect();
///         assert!(tricolor_cleanup::wait_idle(Duration::from_secs(10)));
///         if closed.load(Ordering::SeqCst) { break }
///     }
///     assert!(closed.load(Ordering::SeqCst));
/// });
/// ```
pub struct Owned<R: Send + Sync + 'static> {
    gc: Gc<Cell>,
    _r: PhantomData<&'static R>,
}

impl<R: Send + Sync + 'static> Owned<R> {
    /// Moves `value` into a new collected object; `value` is dropped on a cleanup goroutine
    /// after the object becomes unreachable. Heap references inside `value` keep their objects
    /// alive while this object lives (the value is scanned conservatively); one back to this
    /// object would keep it alive forever.
    ///
    /// # Panics
    /// Off a goroutine, as `Gc::new`.
    pub fn new(value: R) -> Owned<R> {
        let gc = Gc::new(Cell { addr: 0 });
        let addr = crate::add_owned(gc.addr(), value);
        // SAFETY: `Cell` is a plain word, written once before the handle escapes; the object
        // is ours alone until `new` returns (a concurrent collection only reads its header).
        unsafe { (*(gc.addr() as *mut Cell)).addr = addr };
        Owned { gc, _r: PhantomData }
    }

    /// The collected object's address (identity; `cleanup::add_at` for further cleanups).
    /// An associated function, not a method, so it does not hide a method of `R`.
    pub fn addr(this: &Self) -> usize {
        this.gc.addr()
    }

    /// Whether two handles name the same object.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Gc::ptr_eq(a.gc, b.gc)
    }

    /// Rebuilds a handle from the object's address, e.g. a word a VM keeps in a `GcCell` or a
    /// raw slot (`Owned<R>` is a `GcPtr`).
    ///
    /// # Safety
    /// 1. `addr` was obtained from `Owned::<R>::addr` (the same `R`) or `GcPtr::to_word` of such
    ///    a handle, and
    /// 2. the object is still alive: reachable since, or rooted (then its value is not dropped
    ///    yet: the cleanup that drops it runs only after the object is unreachable).
    ///
    /// # Panics
    /// If `addr` is 0 (use `Option<Owned<R>>` for a word that may be 0).
    pub unsafe fn from_addr(addr: usize) -> Owned<R> {
        assert!(addr != 0, "Owned::from_addr(0): a null word is no object (use Option<Owned<R>>)");
        // SAFETY: forwarded contract: the address of a live `Cell` object of this `R`.
        Owned { gc: unsafe { Gc::from_addr(addr) }, _r: PhantomData }
    }
}

// SAFETY: the collected object's payload address (a `Gc`'s, never 0); `from_word` is
// `from_addr`, and the `GcPtr` contract (same type) carries its `R` obligation.
unsafe impl<R: Send + Sync + 'static> GcPtr for Owned<R> {
    fn to_word(self) -> usize {
        self.gc.addr()
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe { Owned::from_addr(w) }
    }
}
// SAFETY: as above: the payload address of the object (so `Option<Owned<R>>` is a `GcPtr` and
// `tricolor_weak::Weak<Owned<R>>` works).
unsafe impl<R: Send + Sync + 'static> GcHandle for Owned<R> {}

impl<R: Send + Sync + 'static> Deref for Owned<R> {
    type Target = R;
    fn deref(&self) -> &R {
        // SAFETY: the box is dropped only by the object's cleanup, which runs after the object
        // is unreachable; `self` holds it, and `&self` lives where the collector looks (the
        // same contract as `Gc`'s `Deref`).
        unsafe { &*(self.gc.addr as *const R) }
    }
}

impl<R: Send + Sync + 'static> Clone for Owned<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R: Send + Sync + 'static> Copy for Owned<R> {}

// SAFETY: traces its object like a `Gc`.
unsafe impl<R: Send + Sync + 'static> Trace for Owned<R> {
    fn trace(&self, t: &mut Tracer<'_>) {
        self.gc.trace(t);
    }
}

impl<R: Send + Sync + std::fmt::Debug + 'static> std::fmt::Debug for Owned<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Owned").field(&**self).finish()
    }
}
