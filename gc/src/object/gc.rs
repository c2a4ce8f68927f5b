//! `Gc<T>`: a pointer to a collected object. `Copy`, derefs to `&T`, as cheap as a reference.
//!
//! A `Gc` keeps its object alive while it is reachable from a root: a goroutine's stack or
//! saved registers (scanned conservatively), a `Root`, `Rooted` or `RootedVec`, a live
//! channel's buffer (`tricolor_runtime::gsync::chan`), a VM root scanner, or another reachable
//! object's traced fields. A `Gc` held only in other memory the collector does not see — a Rust
//! `Vec`, a `Box`, a thread-local, an OS thread's stack — is not a root: wrap it in a `Root`
//! (or keep it in a `RootedVec` or a `GcArray`). With `TRICOLOR_DEBUG=poisonfree=1`, debug
//! builds catch the mistake when such a pointer is dereferenced after its object was freed.
//!
//! Types with drop glue cannot be allocated: the collector never runs destructors (DESIGN
//! decision 3). Attach owned resources with a cleanup (`tricolor-cleanup`).
//!
//! ```compile_fail
//! use tricolor_gc::{Gc, Trace, Tracer};
//! // A type with drop glue, even one claiming to be traceable, is refused when `Gc::new` is
//! // instantiated for it: "Gc<T> cannot hold a type with drop glue".
//! struct D(u64);
//! impl Drop for D { fn drop(&mut self) {} }
//! unsafe impl Trace for D { const NO_TRACE: bool = true; fn trace(&self, _: &mut Tracer<'_>) {} }
//! fn main() { let _ = Gc::new(D(1)); }
//! ```

use crate::heap::AllocError;
use crate::object::trace::{Trace, Tracer};
use crate::object::type_info::GcType;
use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

/// A pointer to a collected object of type `T`.
#[repr(transparent)]
pub struct Gc<T> {
    ptr: NonNull<T>,
    _marker: PhantomData<T>,
}

impl<T> Clone for Gc<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Gc<T> {}

// SAFETY: a Gc only hands out `&T`; sharing it across threads needs `T: Sync`. The collector
// finds it on any goroutine's stack.
unsafe impl<T: Sync> Send for Gc<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Gc<T> {}

impl<T: Trace> Gc<T> {
    /// Allocates `value` in the collected heap.
    ///
    /// # Panics
    /// Off a goroutine, inside `blocking(..)`, or when the heap cannot grow (memory limit,
    /// address space): the message names the cause and prints the heap statistics. Use
    /// `try_new` to handle these as values.
    #[track_caller]
    #[inline]
    pub fn new(value: T) -> Gc<T> {
        match Self::try_new(value) {
            Ok(g) => g,
            Err(e) => crate::collector::alloc_failed("Gc::new", &e),
        }
    }

    /// Allocates `value`, or says why it cannot.
    #[inline]
    pub fn try_new(value: T) -> Result<Gc<T>, AllocError> {
        const {
            assert!(
                !std::mem::needs_drop::<T>(),
                "Gc<T> cannot hold a type with drop glue: the collector never runs destructors. \
                 Keep owned resources outside the heap and attach them with a cleanup \
                 (tricolor-cleanup), or use GcArray/GcStr/Gc fields instead of Vec/String/Box."
            );
            assert!(std::mem::align_of::<T>() <= 8, "Gc<T>: types aligned above 8 bytes are not supported");
        }
        let c = crate::collector::collector();
        // `np`: the allocation's no-preempt section, held through the initialisation and the
        // shading of the initial values (`Collector::alloc_deferred`).
        let (addr, gc_due, np) = c.alloc_deferred(T::TYPE_INFO, std::mem::size_of::<T>(), T::NO_TRACE)?;
        // SAFETY: `addr` is a fresh, zeroed, 8-aligned payload of at least size_of::<T>()
        // bytes, reachable only through this local (kept on our stack until the collection
        // below has looked at it).
        unsafe { std::ptr::write(addr as *mut T, value) };
        let g =
            Gc { ptr: NonNull::new(addr as *mut T).unwrap_or_else(|| tricolor_runtime::throw!("gc: null payload")), _marker: PhantomData };
        // The object is black while marking: shade what it was initialised with (the values
        // may come from a stack the marker has not scanned yet). Still in the allocation's
        // no-preempt section, so the phase is the one the allocation saw.
        if !T::NO_TRACE && c.phase.barrier_on() {
            // SAFETY: just written above.
            let v: &T = unsafe { &*(addr as *const T) };
            crate::mark::barrier::shade_initial(|t| v.trace(t));
        }
        drop(np);
        if gc_due {
            c.maybe_collect(&g);
        }
        Ok(g)
    }
}

impl<T> Gc<T> {
    /// The payload address (what `Tracer::edge` takes).
    pub fn addr(self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// A raw pointer to the payload.
    pub fn as_ptr(self) -> *const T {
        self.ptr.as_ptr()
    }

    /// Whether two pointers name the same object.
    pub fn ptr_eq(a: Gc<T>, b: Gc<T>) -> bool {
        a.ptr == b.ptr
    }

    /// Rebuilds a `Gc` from a payload address.
    ///
    /// # Safety
    /// 1. `addr` was obtained from `Gc::<T>::addr` (or the raw API for this type), and
    /// 2. the object is still alive: reachable since, or rooted.
    pub unsafe fn from_addr(addr: usize) -> Gc<T> {
        Gc { ptr: NonNull::new(addr as *mut T).expect("Gc::from_addr(0)"), _marker: PhantomData }
    }
}

impl<T> std::ops::Deref for Gc<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        #[cfg(debug_assertions)]
        crate::debug::poison::check_live(self.addr(), std::any::type_name::<T>());
        // SAFETY: a reachable Gc points at a live, initialised T (the collector never frees
        // reachable objects and never moves any); the caller's Gc is reachable because it is on
        // a goroutine stack or in traced memory — the module's rule.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> fmt::Debug for Gc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Gc<{}>({:#x})", std::any::type_name::<T>(), self.addr())
    }
}

impl<T> PartialEq for Gc<T> {
    fn eq(&self, other: &Self) -> bool {
        self.ptr == other.ptr
    }
}
impl<T> Eq for Gc<T> {}

impl<T> std::hash::Hash for Gc<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.addr().hash(state)
    }
}

// SAFETY: reports its own address.
unsafe impl<T> Trace for Gc<T> {
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        t.edge(self.addr())
    }
}
