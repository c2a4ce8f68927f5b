//! `Mutex<T>`: a goroutine-aware mutual-exclusion lock. Contended `lock` spins briefly, then
//! parks the goroutine on a wait queue.
//!
//! | state | meaning                                 |
//! |-------|-----------------------------------------|
//! | 0     | unlocked                                |
//! | 1     | locked, no goroutine parked             |
//! | 2     | locked, goroutines may be parked        |
//!
//! Locking: CAS 0 → 1; else swap in 2 until the swap returns 0, parking while the state is 2
//! (checked under the wait-queue lock). Unlocking: swap in 0; if it was 2, wake one waiter.
//! The woken goroutine competes again (no hand-off), as Go's normal mode.

use super::waitq::WaitQueue;
use crate::sync::atomic::{AtomicU32, Ordering};
use crate::sync::cell::UnsafeCell;
use std::fmt;
use std::ops::{Deref, DerefMut};

/// A mutual-exclusion lock that parks goroutines instead of threads.
///
/// `lock` must run on a goroutine when it has to wait (it panics on other threads then);
/// `try_lock` works anywhere.
///
/// ```
/// use tricolor_runtime::{block_on, go, gsync::Mutex};
/// use std::sync::Arc;
/// let n = block_on(|| {
///     let m = Arc::new(Mutex::new(0));
///     let hs: Vec<_> = (0..8).map(|_| { let m = m.clone(); go(move || *m.lock() += 1) }).collect();
///     for h in hs { h.join().unwrap(); }
///     let v = *m.lock();
///     v
/// });
/// assert_eq!(n, 8);
/// ```
pub struct Mutex<T: ?Sized> {
    state: AtomicU32,
    waiters: WaitQueue,
    data: UnsafeCell<T>,
}

// SAFETY: the lock gives exclusive access to `data` to one holder at a time.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above; `T: Send` suffices because only one holder accesses it.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Exclusive access to a `Mutex`'s data; unlocks on drop.
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    lock: &'a Mutex<T>,
    _not_send: std::marker::PhantomData<*const ()>,
}

// SAFETY: sharing a guard only shares `&T`.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new unlocked mutex.
    pub fn new(v: T) -> Mutex<T> {
        Mutex { state: AtomicU32::new(0), waiters: WaitQueue::new(), data: UnsafeCell::new(v) }
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks, parking the goroutine while another holds the lock.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        // Acquire pairs with the Release in unlock: the previous holder's writes are visible.
        if self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow();
        }
        MutexGuard { lock: self, _not_send: std::marker::PhantomData }
    }

    #[cold]
    fn lock_slow(&self) {
        for _ in 0..64 {
            if self.state.load(Ordering::Relaxed) == 0
                && self.state.compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed).is_ok()
            {
                return;
            }
            crate::sync::spin_loop();
        }
        // Acquire on the swap for the same reason as the fast path.
        while self.state.swap(2, Ordering::Acquire) != 0 {
            self.waiters.wait_if("gsync::Mutex::lock", || self.state.load(Ordering::Relaxed) == 2);
        }
    }

    /// Locks if free, without waiting.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.state
            .compare_exchange(0, 1, Ordering::Acquire, Ordering::Relaxed)
            .ok()
            .map(|_| MutexGuard { lock: self, _not_send: std::marker::PhantomData })
    }

    fn unlock(&self) {
        // Release publishes the critical section to the next locker.
        if self.state.swap(0, Ordering::Release) == 2 {
            self.waiters.wake_one();
        }
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves we hold the lock, so no other reference to `data` exists.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this the only access through the guard.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.unlock();
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.try_lock() {
            Some(g) => f.debug_struct("Mutex").field("data", &&*g).finish(),
            None => f.debug_struct("Mutex").field("data", &"<locked>").finish(),
        }
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}
