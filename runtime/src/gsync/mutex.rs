//! `Mutex<T>`: a goroutine-aware mutual-exclusion lock, after Go's `sync.Mutex`.
//!
//! State word bits:
//!
//! | bit      | meaning                                                              |
//! |----------|----------------------------------------------------------------------|
//! | LOCKED   | held                                                                 |
//! | WAITERS  | goroutines may be parked (set under the queue lock)                  |
//! | STARVING | a waiter waited over 1 ms: unlock hands the lock to the queue's head |
//!
//! Normal mode: unlock clears LOCKED and wakes one waiter, which competes with newcomers (fast,
//! but a goroutine that re-locks in a loop can keep winning). Starvation mode: a waiter that
//! waited longer than `STARVE_AFTER` sets STARVING while the lock is held; newcomers then queue
//! instead of taking it, and unlock passes ownership directly to the head waiter (LOCKED never
//! clears), until the queue empties. Waiters live on their goroutine's stack and are reached
//! only under the queue lock, which the park commit releases after the goroutine switched out.

use crate::g::G;
use crate::lock::RtMutex;
use crate::sched::park::{expect_goroutine, park, ready, WaitReason};
use crate::sync::atomic::{AtomicU32, Ordering};
use crate::sync::cell::UnsafeCell;
use crate::time::nanotime;
use std::cell::Cell;
use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};

const LOCKED: u32 = 1;
const WAITERS: u32 = 2;
const STARVING: u32 = 4;
/// Waiting longer than this switches the mutex to hand-off (Go's `starvationThresholdNs`).
const STARVE_AFTER: i64 = 1_000_000;

struct Waiter {
    g: &'static G,
    /// Set by unlock in starvation mode: the lock is ours on wake-up.
    handed: Cell<bool>,
}

struct WaiterPtr(*const Waiter);
// SAFETY: the pointee is touched only under the queue lock, or by its owner after wake-up.
unsafe impl Send for WaiterPtr {}

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
    queue: RtMutex<VecDeque<WaiterPtr>>,
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
        Mutex { state: AtomicU32::new(0), queue: RtMutex::new(VecDeque::new()), data: UnsafeCell::new(v) }
    }
}

impl<T: ?Sized> Mutex<T> {
    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard { lock: self, _not_send: std::marker::PhantomData }
    }

    /// Locks, parking the goroutine while another holds the lock.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        crate::preempt::safepoint();
        // Acquire pairs with the Release in unlock: the previous holder's writes are visible.
        if self.state.compare_exchange(0, LOCKED, Ordering::Acquire, Ordering::Relaxed).is_err() {
            self.lock_slow();
        }
        self.guard()
    }

    /// CAS LOCKED in if the lock is free and not reserved for a starving waiter.
    fn try_acquire(&self) -> bool {
        let s = self.state.load(Ordering::Relaxed);
        s & (LOCKED | STARVING) == 0 && self.state.compare_exchange(s, s | LOCKED, Ordering::Acquire, Ordering::Relaxed).is_ok()
    }

    #[cold]
    fn lock_slow(&self) {
        for _ in 0..64 {
            if self.try_acquire() {
                return;
            }
            crate::sync::spin_loop();
        }
        let start = nanotime();
        let mut front = false;
        loop {
            if self.try_acquire() {
                return;
            }
            let (_, g) = expect_goroutine("gsync::Mutex::lock");
            let w = Waiter { g, handed: Cell::new(false) };
            let mut q = self.queue.lock();
            // Announce ourselves under the queue lock; only valid while the lock is held
            // (a free lock would never be unlocked, so we retry instead of parking).
            let starving = nanotime() - start > STARVE_AFTER;
            let mut s = self.state.load(Ordering::Relaxed);
            loop {
                if s & LOCKED == 0 {
                    break;
                }
                let want = s | WAITERS | if starving { STARVING } else { 0 };
                match self.state.compare_exchange_weak(s, want, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => break,
                    Err(cur) => s = cur,
                }
            }
            if s & LOCKED == 0 {
                drop(q);
                continue;
            }
            // A waiter that was woken and lost the race goes back to the front (Go: LIFO).
            if front {
                q.push_front(WaiterPtr(&w));
            } else {
                q.push_back(WaiterPtr(&w));
            }
            park(WaitReason::Mutex, move |_| {
                drop(q);
                true
            });
            if w.handed.get() {
                // Starvation hand-off: LOCKED stayed set for us. Acquire for the data.
                crate::sync::atomic::fence(Ordering::Acquire);
                return;
            }
            front = true;
        }
    }

    /// Locks if free, without waiting.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.try_acquire().then(|| self.guard())
    }

    fn unlock(&self) {
        // Release publishes the critical section to the next locker.
        if self.state.compare_exchange(LOCKED, 0, Ordering::Release, Ordering::Relaxed).is_err() {
            self.unlock_slow();
        }
    }

    #[cold]
    fn unlock_slow(&self) {
        let mut q = self.queue.lock();
        // While we hold both the mutex and the queue lock, only we change the state: lockers
        // CAS only when LOCKED is clear, and waiters set bits only under the queue lock.
        let s = self.state.load(Ordering::Relaxed);
        let head = q.pop_front();
        let Some(w) = head else {
            self.state.store(0, Ordering::Release);
            return;
        };
        let rest = if q.is_empty() { 0 } else { WAITERS };
        // SAFETY: popped under the queue lock: the waiter's goroutine is parked and its frame
        // alive until we ready it.
        let w = unsafe { &*w.0 };
        if s & STARVING != 0 {
            // Hand off: ownership passes with LOCKED still set; starvation ends with the queue.
            w.handed.set(true);
            let keep = if rest == 0 { 0 } else { STARVING };
            self.state.store(LOCKED | rest | keep, Ordering::Release);
        } else {
            self.state.store(rest, Ordering::Release);
        }
        let g = w.g;
        drop(q);
        ready(g);
    }
}

impl<'a, T: ?Sized> MutexGuard<'a, T> {
    /// The mutex this guard locks.
    pub(crate) fn mutex(&self) -> &'a Mutex<T> {
        self.lock
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
