//! `Trace`: how the collector finds the pointers inside a Rust type, and `Tracer`, the visitor
//! a trace function reports them to. `#[derive(Trace)]` (crate `tricolor-gc-derive`) writes the
//! impls for structs and enums; this file has the impls for the standard types that may sit in
//! the heap.

use crate::mark::Worker;

/// Implemented by every type that can live in the collected heap.
///
/// # Safety
/// 1. `trace` must report, through `Tracer::edge`, every `Gc` pointer the value holds
///    (directly or in fields), each as the address `Gc::addr` returns (null is allowed and
///    ignored). A pointer not reported may be freed while still reachable.
/// 2. `NO_TRACE` may be true only if the type holds no `Gc` pointers at all: such values are
///    allocated in spans the collector never scans.
/// 3. `trace` must not allocate, block, or touch anything but the value: it runs while the
///    world is stopped, on any thread.
///
/// Prefer `#[derive(Trace)]`, which upholds all three.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot live in the collected heap: it does not implement `Trace`",
    label = "not `Trace`",
    note = "derive it with `#[derive(Trace)]`; types owning Rust resources (Vec, String, Box) cannot be traced: use GcArray/GcStr/Gc fields, or attach the resource with a cleanup"
)]
pub unsafe trait Trace {
    /// True if values of this type never hold `Gc` pointers.
    const NO_TRACE: bool = false;

    /// Reports every `Gc` pointer in `self` to `t`.
    fn trace(&self, t: &mut Tracer<'_>);
}

/// The collector's visitor: trace functions report pointers to it.
pub struct Tracer<'a> {
    pub(crate) w: &'a mut Worker,
}

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer").finish_non_exhaustive()
    }
}

impl Tracer<'_> {
    /// Reports one pointer: the address of a heap object's payload (what `Gc::addr` and the raw
    /// API return), or 0 for none.
    #[inline]
    pub fn edge(&mut self, addr: usize) {
        if addr != 0 {
            self.w.grey_precise(addr);
        }
    }

    /// Scans `[addr, addr + len)` conservatively, like a stack: every aligned word that points
    /// into a live object keeps it alive. For memory whose layout the caller does not know
    /// (a boxed closure and its captures).
    ///
    /// # Safety
    /// The range must be readable memory for the duration of the call.
    pub unsafe fn conservative(&mut self, addr: usize, len: usize) {
        self.w.scan_range_conservative(addr, addr + len);
    }
}

macro_rules! no_trace {
    ($($t:ty),* $(,)?) => {$(
        // SAFETY: holds no Gc pointers.
        unsafe impl Trace for $t {
            const NO_TRACE: bool = true;
            #[inline]
            fn trace(&self, _: &mut Tracer<'_>) {}
        }
    )*};
}

no_trace!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicU8,
    std::sync::atomic::AtomicU16,
    std::sync::atomic::AtomicU32,
    std::sync::atomic::AtomicU64,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicI8,
    std::sync::atomic::AtomicI16,
    std::sync::atomic::AtomicI32,
    std::sync::atomic::AtomicI64,
    std::sync::atomic::AtomicIsize,
    std::num::NonZeroU32,
    std::num::NonZeroU64,
    std::num::NonZeroUsize,
    std::time::Duration,
);

// SAFETY: holds nothing.
unsafe impl<T: ?Sized> Trace for std::marker::PhantomData<T> {
    const NO_TRACE: bool = true;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

// SAFETY: a shared reference to 'static data is not a heap pointer.
unsafe impl<T: ?Sized + Sync> Trace for &'static T {
    const NO_TRACE: bool = true;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

// SAFETY: reports what the inner value reports.
unsafe impl<T: Trace> Trace for Option<T> {
    const NO_TRACE: bool = T::NO_TRACE;
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        if let Some(v) = self {
            v.trace(t)
        }
    }
}

// SAFETY: reports every element.
unsafe impl<T: Trace, const N: usize> Trace for [T; N] {
    const NO_TRACE: bool = T::NO_TRACE;
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        if !T::NO_TRACE {
            for v in self {
                v.trace(t)
            }
        }
    }
}

/// Interior mutability without the write barrier: `Cell`, `RefCell` and `UnsafeCell` may hold
/// only values without heap pointers. A pointer stored through one bypasses the barrier, and the
/// concurrent marker can miss the object it names (a lost object): refused at compile time,
/// when the type's `NO_TRACE` or `trace` is first used.
struct NoBarrierCell<T>(std::marker::PhantomData<T>);

impl<T: Trace> NoBarrierCell<T> {
    const REFUSE_POINTERS: () = assert!(
        T::NO_TRACE,
        "a Cell, RefCell or UnsafeCell inside a collected object holds a Gc pointer: its stores bypass \
         the write barrier and concurrent marking would lose objects; use GcCell (one pointer) or the \
         raw API's write_ptr instead"
    );
}

macro_rules! no_barrier_cell {
    ($($cell:ident<T: $($bound:path),+>),+) => {$(
        // SAFETY: the cell holds no heap pointers (checked at compile time above): nothing to
        // report.
        unsafe impl<T: $($bound +)+> Trace for std::cell::$cell<T> {
            const NO_TRACE: bool = {
                let () = NoBarrierCell::<T>::REFUSE_POINTERS;
                true
            };
            fn trace(&self, _t: &mut Tracer<'_>) {
                NoBarrierCell::<T>::REFUSE_POINTERS
            }
        }
    )+};
}

no_barrier_cell!(Cell<T: Trace, Copy>, RefCell<T: Trace>, UnsafeCell<T: Trace>);

macro_rules! tuple_trace {
    ($($n:tt $t:ident),+) => {
        // SAFETY: reports every field.
        unsafe impl<$($t: Trace),+> Trace for ($($t,)+) {
            const NO_TRACE: bool = $($t::NO_TRACE)&&+;
            #[inline]
            fn trace(&self, t: &mut Tracer<'_>) {
                $(self.$n.trace(t);)+
            }
        }
    };
}
tuple_trace!(0 A);
tuple_trace!(0 A, 1 B);
tuple_trace!(0 A, 1 B, 2 C);
tuple_trace!(0 A, 1 B, 2 C, 3 D);
tuple_trace!(0 A, 1 B, 2 C, 3 D, 4 E);
tuple_trace!(0 A, 1 B, 2 C, 3 D, 4 E, 5 F);
