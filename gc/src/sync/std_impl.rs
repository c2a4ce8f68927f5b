#![allow(dead_code, unused_imports)] // shared shape with the runtime's façade
//! The std branch of the façade: std atomics, parking_lot locks, and an `UnsafeCell` with loom's
//! `with`/`with_mut` shape.

pub(crate) mod atomic {
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};
}

pub(crate) mod cell {
    /// `std::cell::UnsafeCell` with loom's access API, so call sites compile under both.
    #[derive(Debug)]
    #[repr(transparent)]
    pub(crate) struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(v: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(v))
        }
    }

    impl<T: ?Sized> UnsafeCell<T> {
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

/// A lock without poisoning. parking_lot's is well kept and parks the thread on contention,
/// which is what a runtime lock held only by non-preemptible code wants (reference §8.3).
/// Its guard holds a no-preempt section (`tricolor_runtime::hooks::NpMutex`).
pub(crate) type Mutex<T> = super::NpMutex<T>;
pub(crate) type MutexGuard<'a, T> = super::NpGuard<'a, T>;

#[inline(always)]
pub(crate) fn spin_loop() {
    std::hint::spin_loop()
}

#[inline]
pub(crate) fn thread_yield() {
    std::thread::yield_now()
}
