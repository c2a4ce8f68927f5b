//! `Owned<R>`: a collected object that owns a Rust value with a destructor (DESIGN decision 3).
//! `Gc<T>` refuses types that need dropping — the sweeper frees memory and runs no user code —
//! so a value that owns a file, a buffer or a foreign handle lives in a Rust box whose address
//! the collected object holds, and a cleanup registered on the object drops the box after the
//! object dies: on a cleanup goroutine, never in the sweeper.

use std::marker::PhantomData;
use std::ops::Deref;
use tricolor_gc::{Gc, Trace, Tracer};

/// The collected part: the box's address, as an integer (the box is not on the heap).
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
    /// after the object becomes unreachable.
    ///
    /// # Panics
    /// If `value` holds a word that points into the collected heap: the box is not traced, so
    /// such a reference would dangle. Keep GC references in traced objects (a `Gc` field next
    /// to the `Owned`). Off a goroutine, as `Gc::new`.
    pub fn new(value: R) -> Owned<R> {
        let b = Box::new(value);
        let addr = &*b as *const R as usize;
        // SAFETY: the box we just filled.
        for v in unsafe { crate::record::words((addr, std::mem::size_of::<R>())) } {
            if tricolor_gc::raw::object_info(v).is_some() {
                panic!(
                    "cleanup::Owned::new: the value holds a pointer into the collected heap ({v:#x}); the boxed value is not traced, so keep GC references in a traced object instead"
                );
            }
        }
        let gc = Gc::new(Cell { addr });
        crate::add(&gc, drop::<Box<R>>, b);
        Owned { gc, _r: PhantomData }
    }

    /// The collected object's address (identity; `cleanup::add_at` for further cleanups).
    pub fn addr(this: &Self) -> usize {
        this.gc.addr()
    }
}

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
