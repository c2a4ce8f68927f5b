//! The loom façade for the pool protocol (STYLE 20): the runtime's `ParkLock` in production (a
//! sleeping cleanup goroutine parks, its thread runs other goroutines, and a waker never parks —
//! wakers run inside the collector's sweep hook), loom's mutex and condvar in the models.

#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(not(loom))]
pub(crate) use tricolor_runtime::gsync::ParkLock;

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
#[cfg(loom)]
pub(crate) use loom_impl::ParkLock;

#[cfg(loom)]
mod loom_impl {
    /// `ParkLock` modelled with loom's mutex and condvar.
    #[derive(Debug)]
    pub(crate) struct ParkLock<T> {
        m: loom::sync::Mutex<T>,
        cv: loom::sync::Condvar,
    }

    #[derive(Debug)]
    pub(crate) struct ParkGuard<'a, T> {
        lock: &'a ParkLock<T>,
        g: loom::sync::MutexGuard<'a, T>,
    }

    impl<T> ParkLock<T> {
        pub(crate) fn new(v: T) -> Self {
            ParkLock { m: loom::sync::Mutex::new(v), cv: loom::sync::Condvar::new() }
        }
        pub(crate) fn lock(&self) -> ParkGuard<'_, T> {
            ParkGuard { lock: self, g: self.m.lock().expect("loom mutex poisoned") }
        }
    }

    impl<'a, T> ParkGuard<'a, T> {
        pub(crate) fn park(self) -> ParkGuard<'a, T> {
            let lock = self.lock;
            ParkGuard { lock, g: lock.cv.wait(self.g).expect("loom mutex poisoned") }
        }
        pub(crate) fn wake_one(&mut self) -> bool {
            self.lock.cv.notify_one();
            true
        }
    }

    impl<T> std::ops::Deref for ParkGuard<'_, T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.g
        }
    }

    impl<T> std::ops::DerefMut for ParkGuard<'_, T> {
        fn deref_mut(&mut self) -> &mut T {
            &mut self.g
        }
    }
}
