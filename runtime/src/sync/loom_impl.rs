//! The loom branch of the façade.

pub(crate) mod atomic {
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
}

pub(crate) mod cell {
    pub(crate) use loom::cell::UnsafeCell;
}

/// loom's mutex with parking_lot's signature (no poisoning).
#[derive(Debug)]
pub(crate) struct Mutex<T>(loom::sync::Mutex<T>);
pub(crate) type MutexGuard<'a, T> = loom::sync::MutexGuard<'a, T>;

impl<T> Mutex<T> {
    pub(crate) fn new(v: T) -> Self {
        Mutex(loom::sync::Mutex::new(v))
    }
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().expect("loom mutex poisoned")
    }
}

pub(crate) fn spin_loop() {
    loom::hint::spin_loop()
}

pub(crate) fn thread_yield() {
    loom::thread::yield_now()
}
