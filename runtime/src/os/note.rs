//! `Note`: a one-shot sleep/wake-up event for one sleeper and any number of wakers, as Go's
//! `note` (`lock_futex.go`). An idle M sleeps on its own note; the stop-the-world caller sleeps
//! on the scheduler's stop note.
//!
//! Protocol: the sleeper `clear`s the note *before* publishing itself (on the idle M list, as
//! the stop waiter), then `sleep`s; a waker `wakeup`s at most once per clear.

#[cfg(not(loom))]
pub(crate) use futex_note::Note;
#[cfg(loom)]
pub(crate) use loom_note::Note;

#[cfg(not(loom))]
mod futex_note {
    use crate::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    /// Futex-backed note: key 0 = not signalled, 1 = signalled.
    #[derive(Debug, Default)]
    pub(crate) struct Note {
        key: AtomicU32,
    }

    impl Note {
        pub(crate) const fn new() -> Note {
            Note { key: AtomicU32::new(0) }
        }

        /// Resets the note. Only the sleeper calls it, before it can be woken.
        pub(crate) fn clear(&self) {
            // Relaxed: the sleeper publishes itself afterwards through a lock or a Release
            // store, which orders this store before any waker can see it.
            self.key.store(0, Ordering::Relaxed);
        }

        /// Signals the note and wakes the sleeper if there is one.
        pub(crate) fn wakeup(&self) {
            // Release pairs with the Acquire load in `sleep*`: what the waker wrote before
            // waking (the handed-over P, say) is visible to the woken sleeper.
            let old = self.key.swap(1, Ordering::Release);
            if old != 0 {
                crate::throw!("runtime: Note::wakeup called twice without a clear (key was {old})");
            }
            futex_wake(&self.key);
        }

        /// Sleeps until signalled.
        pub(crate) fn sleep(&self) {
            while self.key.load(Ordering::Acquire) == 0 {
                futex_wait(&self.key, None);
            }
        }

        /// Sleeps until signalled or `timeout` passes; true if signalled.
        pub(crate) fn sleep_timeout(&self, timeout: Duration) -> bool {
            let deadline = std::time::Instant::now() + timeout;
            loop {
                if self.key.load(Ordering::Acquire) != 0 {
                    return true;
                }
                let now = std::time::Instant::now();
                if now >= deadline {
                    return false;
                }
                futex_wait(&self.key, Some(deadline - now));
            }
        }
    }

    fn futex_wait(key: &AtomicU32, timeout: Option<Duration>) {
        let ts;
        let tsp = match timeout {
            Some(d) => {
                ts = libc::timespec { tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t, tv_nsec: d.subsec_nanos() as libc::c_long };
                &ts as *const libc::timespec
            }
            None => std::ptr::null(),
        };
        // SAFETY: FUTEX_WAIT reads the u32 behind a valid reference and sleeps only while it
        // still equals 0; spurious returns (EINTR, EAGAIN, timeout) are handled by the callers'
        // loops.
        unsafe {
            libc::syscall(libc::SYS_futex, key as *const AtomicU32, libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG, 0u32, tsp);
        }
    }

    fn futex_wake(key: &AtomicU32) {
        // SAFETY: FUTEX_WAKE only uses the address as a key.
        unsafe {
            libc::syscall(libc::SYS_futex, key as *const AtomicU32, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG, 1i32);
        }
    }
}

#[cfg(loom)]
mod loom_note {
    use loom::sync::{Condvar, Mutex};
    use std::time::Duration;

    /// Mutex + condvar note for loom. Timed sleeps never sleep: they report a timeout after a
    /// yield, so a waiter's re-check loop is what the model explores.
    #[derive(Debug)]
    pub(crate) struct Note {
        set: Mutex<bool>,
        cv: Condvar,
    }

    impl Note {
        pub(crate) fn new() -> Note {
            Note { set: Mutex::new(false), cv: Condvar::new() }
        }
        pub(crate) fn clear(&self) {
            *self.set.lock().unwrap() = false;
        }
        pub(crate) fn wakeup(&self) {
            let mut s = self.set.lock().unwrap();
            if *s {
                crate::throw!("runtime: Note::wakeup called twice without a clear");
            }
            *s = true;
            self.cv.notify_all();
        }
        pub(crate) fn sleep(&self) {
            let mut s = self.set.lock().unwrap();
            while !*s {
                s = self.cv.wait(s).unwrap();
            }
        }
        pub(crate) fn sleep_timeout(&self, _timeout: Duration) -> bool {
            if *self.set.lock().unwrap() {
                return true;
            }
            loom::thread::yield_now();
            *self.set.lock().unwrap()
        }
    }
}
