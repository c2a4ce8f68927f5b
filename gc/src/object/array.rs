//! `GcArray<T>`: a variable-length heap object, so VM containers need no Rust destructors.
//! Payload: a length word, then the elements. Arrays of pointer-free elements live in noscan
//! spans; others carry an `Array` header the marker walks element by element. `GcStr`, the
//! string built on `GcArray<u8>`, is in `str.rs`.

use crate::heap::AllocError;
use crate::object::cell::{GcHandle, GcPtr};
use crate::object::trace::{Trace, Tracer};
use crate::object::type_info::{GcType, Layout, TypeInfo, TypeName};
use std::fmt;
use std::marker::PhantomData;

/// `TypeInfo` of `GcArray<T>`, one static per `T`.
trait ArrayType: GcType {
    const ARRAY_INFO: &'static TypeInfo;
}

impl<T: Trace> ArrayType for T {
    const ARRAY_INFO: &'static TypeInfo = &TypeInfo {
        name: TypeName::Fn(std::any::type_name::<[T]>),
        size: std::mem::size_of::<T>(),
        layout: if T::NO_TRACE { Layout::NoScan } else { Layout::Array(T::TYPE_INFO) },
    };
}

/// A fixed-length array in the collected heap. `Copy`, derefs to `&[T]`; mutate elements
/// through `GcCell`s or atomics.
///
/// Equality and hashing are by identity, as for `Gc<T>`: two handles are equal when they name
/// the same array (`ptr_eq`). The elements may change (through cells), so content equality is
/// a comparison of the moment: write `*a == *b` (slices) for it. `GcStr`, which is immutable,
/// compares by content instead.
///
/// ```
/// use tricolor_gc::{GcArray, GcCell, GcPtr};
/// tricolor_runtime::block_on(|| {
///     let a = GcArray::from_slice(&[1u64, 2, 3]);
///     let b = GcArray::from_slice(&[1u64, 2, 3]);
///     assert!(a != b && *a == *b, "identity, not content");
///     // A handle round-trips through a word, so it can live in a `GcCell`.
///     let slot = GcCell::new(Some(a));
///     assert_eq!(slot.get(), Some(a));
///     // SAFETY: the word came from `a`, which is alive (used below).
///     let again = unsafe { GcArray::<u64>::from_addr(a.to_word()) };
///     assert!(GcArray::ptr_eq(again, a) && again[2] == 3);
/// });
/// ```
pub struct GcArray<T> {
    payload: usize,
    _marker: PhantomData<T>,
}

impl<T> Clone for GcArray<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for GcArray<T> {}
// SAFETY: hands out `&[T]` only.
unsafe impl<T: Sync> Send for GcArray<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for GcArray<T> {}

impl<T: Trace> GcArray<T> {
    /// An array of `len` elements, element i = `f(i)`.
    ///
    /// # Panics
    /// As `Gc::new`.
    #[track_caller]
    pub fn from_fn(len: usize, f: impl FnMut(usize) -> T) -> GcArray<T> {
        match Self::try_from_fn(len, f) {
            Ok(a) => a,
            Err(e) => crate::collector::alloc_failed("GcArray::from_fn", &e),
        }
    }

    /// As `from_fn`, reporting allocation failure as a value.
    pub fn try_from_fn(len: usize, mut f: impl FnMut(usize) -> T) -> Result<GcArray<T>, AllocError> {
        const {
            assert!(!std::mem::needs_drop::<T>(), "GcArray<T> cannot hold a type with drop glue: the collector never runs destructors");
            assert!(std::mem::align_of::<T>() <= 8, "GcArray<T>: elements aligned above 8 bytes are not supported");
        }
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .and_then(|b| b.checked_add(8))
            .ok_or(AllocError::TooLarge { requested: usize::MAX })?;
        let c = crate::collector::collector();
        let (payload, gc_due, np) = c.alloc_deferred(T::ARRAY_INFO, bytes, T::NO_TRACE)?;
        // `f` may park or allocate: no preemption-free section around it.
        drop(np);
        // The length word always counts the initialised prefix: element i is written, then the
        // length becomes i + 1 (Release). `f` may allocate and so start a collection; the array
        // is reachable through `payload` on our stack, and the marker scans exactly the
        // elements built so far — never an uninitialised one, and never losing one already
        // built (which an "elements first, length last" order did: regression test
        // `array_built_across_collections_keeps_its_elements`).
        let base = (payload + 8) as *mut T;
        // SAFETY: the first payload word is the length, ours until the array is returned.
        let len_word = unsafe { &*(payload as *const crate::sync::atomic::AtomicUsize) };
        for i in 0..len {
            let v = f(i);
            // For elements with pointers: the write, the length and the shading in one
            // no-preempt section, so no stop (and no signal-driven scan of our stack) falls
            // between them (see `Collector::alloc_deferred`). Elements without pointers need
            // neither.
            let _np = (!T::NO_TRACE).then(tricolor_runtime::NoPreempt::new);
            // SAFETY: inside the allocation (bytes = 8 + len * size_of::<T>()), 8-aligned.
            unsafe { base.add(i).write(v) };
            len_word.store(i + 1, crate::sync::atomic::Ordering::Release);
            // Black while marking (or white from before the mark: shading is harmless then):
            // shade the element's initial values before `f` may reach a safepoint.
            if !T::NO_TRACE && c.phase.barrier_on() {
                // SAFETY: element i was written above.
                let e: &T = unsafe { &*base.add(i) };
                crate::mark::barrier::shade_initial(|t| e.trace(t));
            }
        }
        let a = GcArray { payload, _marker: PhantomData };
        if gc_due {
            c.maybe_collect(&a);
        }
        Ok(a)
    }
}

impl<T: Trace + Copy> GcArray<T> {
    /// An array copied from a slice.
    #[track_caller]
    pub fn from_slice(s: &[T]) -> GcArray<T> {
        match Self::try_from_fn(s.len(), |i| s[i]) {
            Ok(a) => a,
            Err(e) => crate::collector::alloc_failed("GcArray::from_slice", &e),
        }
    }
}

impl<T> GcArray<T> {
    /// Elements.
    pub fn len(self) -> usize {
        // SAFETY: payload starts with the length word of a live array.
        unsafe { (*(self.payload as *const crate::sync::atomic::AtomicUsize)).load(crate::sync::atomic::Ordering::Acquire) }
    }

    /// Whether the array has no elements.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The payload address (for `Tracer::edge` and the raw API).
    pub fn addr(self) -> usize {
        self.payload
    }

    /// Whether two handles name the same array.
    pub fn ptr_eq(a: Self, b: Self) -> bool {
        a.payload == b.payload
    }

    /// Rebuilds a handle from its payload address.
    ///
    /// # Safety
    /// 1. `addr` was obtained from `GcArray::<T>::addr` (the same `T`) or `GcPtr::to_word` of
    ///    such a handle, and
    /// 2. the array is still alive: reachable since, or rooted.
    ///
    /// # Panics
    /// If `addr` is 0 (use `Option<GcArray<T>>`'s `GcPtr::from_word` for a word that may be 0).
    pub unsafe fn from_addr(addr: usize) -> GcArray<T> {
        assert!(addr != 0, "GcArray::from_addr(0): a null word is no array (use Option<GcArray<T>>)");
        GcArray { payload: addr, _marker: PhantomData }
    }
}

impl<T> PartialEq for GcArray<T> {
    fn eq(&self, other: &Self) -> bool {
        self.payload == other.payload
    }
}
impl<T> Eq for GcArray<T> {}

impl<T> std::hash::Hash for GcArray<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.payload.hash(state)
    }
}

// SAFETY: the payload address, never 0 (every constructor starts from an allocation or from
// `from_addr`, which refuses 0); `from_word` is `from_addr`.
unsafe impl<T> GcPtr for GcArray<T> {
    fn to_word(self) -> usize {
        self.payload
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe { GcArray::from_addr(w) }
    }
}
// SAFETY: as above: the payload address of the array object.
unsafe impl<T> GcHandle for GcArray<T> {}

impl<T> std::ops::Deref for GcArray<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        #[cfg(debug_assertions)]
        crate::debug::poison::check_live(self.payload, std::any::type_name::<[T]>());
        // SAFETY: a reachable array holds `len` initialised elements after its length word.
        unsafe { std::slice::from_raw_parts((self.payload + 8) as *const T, self.len()) }
    }
}

impl<T: fmt::Debug> fmt::Debug for GcArray<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

// SAFETY: reports its own address.
unsafe impl<T> Trace for GcArray<T> {
    fn trace(&self, t: &mut Tracer<'_>) {
        t.edge(self.payload)
    }
}
