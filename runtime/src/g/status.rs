//! `GStatus`: a goroutine's state, one atomic word with a `SCAN` bit that locks the stack
//! (reference §5.1, DESIGN decision 7).
//!
//! | status   | who owns the G                           | who may leave it                 |
//! |----------|------------------------------------------|----------------------------------|
//! | Idle     | the free list (never run, or reused)     | spawner → Runnable               |
//! | Runnable | the run queue it sits in                 | an M's `execute` → Running       |
//! | Running  | its M                                    | its M → Runnable/Waiting/Syscall/Dead |
//! | Syscall  | its M, outside the scheduler (`blocking`) | its M → Running/Runnable        |
//! | Waiting  | the structure it parked on (channel, timer) | its waker (`ready`) → Runnable |
//! | Dead     | the free list                            | spawner → Runnable               |
//!
//! `SCAN` OR'ed onto Runnable, Waiting or Syscall means a scanner holds the stack: the G cannot
//! run or change state until the scanner clears the bit. Invariant (reference 14-15): the bit is
//! taken by a CAS from the *observed* status, so any legitimate concurrent transition (a timer or
//! channel waking the G during a stop) makes the CAS fail and the scanner retry; and its holder
//! never waits for the G or its P, so those who spin on it (`cas`) spin only on a running thread.

use crate::sync::atomic::{AtomicU32, Ordering};
use std::fmt;

/// The scan bit.
pub const SCAN: u32 = 0x1000;

/// Goroutine states without the scan bit.
#[repr(u32)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GStatus {
    /// Allocated, never run.
    Idle = 0,
    /// On a run queue.
    Runnable = 1,
    /// Executing on an M.
    Running = 2,
    /// Inside `blocking(..)`: executing, but without a P.
    Syscall = 3,
    /// Parked on a wait structure.
    Waiting = 4,
    /// Finished; on a free list.
    Dead = 6,
}

impl GStatus {
    fn from_bits(v: u32) -> Option<GStatus> {
        Some(match v {
            0 => GStatus::Idle,
            1 => GStatus::Runnable,
            2 => GStatus::Running,
            3 => GStatus::Syscall,
            4 => GStatus::Waiting,
            6 => GStatus::Dead,
            _ => return None,
        })
    }
}

/// A snapshot of the status word (status plus scan bit).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct StatusWord(pub u32);

impl StatusWord {
    /// The status without the scan bit.
    pub fn status(self) -> Option<GStatus> {
        GStatus::from_bits(self.0 & !SCAN)
    }
    /// Whether a scanner holds the stack.
    pub fn scanning(self) -> bool {
        self.0 & SCAN != 0
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status() {
            Some(s) if self.scanning() => write!(f, "{s:?}|Scan"),
            Some(s) => write!(f, "{s:?}"),
            None => write!(f, "invalid({:#x})", self.0),
        }
    }
}

/// What `try_scan` found.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ScanAttempt {
    /// The scan bit is ours; the G was in this state and is frozen there.
    Locked(GStatus),
    /// The G is running; it must be stopped at a safepoint first.
    Running,
    /// The G is dead or idle: nothing to scan.
    Dead,
    /// Someone else holds the scan bit, or the status changed under us: retry.
    Retry,
}

/// The atomic status word of one G.
#[derive(Debug)]
pub(crate) struct GStatusCell(AtomicU32);

impl GStatusCell {
    pub(crate) fn new(s: GStatus) -> Self {
        GStatusCell(AtomicU32::new(s as u32))
    }

    pub(crate) fn load(&self) -> StatusWord {
        // Acquire pairs with the Release half of the transitions: whoever sees a status sees
        // what the previous owner wrote before handing the G over (saved context included).
        StatusWord(self.0.load(Ordering::Acquire))
    }

    /// `casgstatus`: the owner's transition `from → to`. Spins while a scanner holds the bit
    /// (the scanner is on-CPU and never waits for us, invariant 15). Any other mismatch is a
    /// runtime bug and panics with both values (reference §5.1's tripwire, generalised).
    pub(crate) fn cas(&self, from: GStatus, to: GStatus) {
        let mut spins = 0u32;
        loop {
            // AcqRel: Release publishes the owner's writes (the saved context) to the next
            // owner; Acquire receives the previous owner's.
            match self.0.compare_exchange_weak(from as u32, to as u32, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return,
                Err(cur) if cur == from as u32 => continue, // spurious failure
                Err(cur) if cur == from as u32 | SCAN => {
                    spins += 1;
                    if spins < 64 {
                        crate::sync::spin_loop();
                    } else {
                        crate::sync::thread_yield();
                    }
                }
                Err(cur) => panic!("runtime: casgstatus: bad transition {from:?} -> {to:?}: status is {:?}", StatusWord(cur)),
            }
        }
    }

    /// `castogscanstatus`: try to take the scan bit from the observed state.
    pub(crate) fn try_scan(&self) -> ScanAttempt {
        let cur = self.load();
        if cur.scanning() {
            return ScanAttempt::Retry;
        }
        match cur.status() {
            Some(GStatus::Idle) | Some(GStatus::Dead) => ScanAttempt::Dead,
            Some(GStatus::Running) => ScanAttempt::Running,
            Some(s @ (GStatus::Runnable | GStatus::Waiting | GStatus::Syscall)) => {
                // Acquire: the stack and saved context written before the G reached `s` are
                // visible to the scanner.
                match self.0.compare_exchange(s as u32, s as u32 | SCAN, Ordering::Acquire, Ordering::Relaxed) {
                    Ok(_) => ScanAttempt::Locked(s),
                    Err(_) => ScanAttempt::Retry,
                }
            }
            None => crate::throw!("runtime: try_scan: invalid goroutine status {cur:?}"),
        }
    }

    /// Drops the scan bit taken by `try_scan`.
    pub(crate) fn clear_scan(&self) {
        // Release: the scanner's reads of the stack happen before the G may run again.
        let old = self.0.fetch_and(!SCAN, Ordering::Release);
        if old & SCAN == 0 {
            crate::throw!("runtime: clear_scan: scan bit not held (status {:?})", StatusWord(old));
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn masks_and_debug() {
        assert_eq!(format!("{:?}", StatusWord(GStatus::Waiting as u32 | SCAN)), "Waiting|Scan");
        assert_eq!(StatusWord(GStatus::Runnable as u32).status(), Some(GStatus::Runnable));
        assert!(StatusWord(SCAN | 1).scanning());
        assert_eq!(StatusWord(5).status(), None);
    }

    #[test]
    fn scan_bit_locks_and_follows_observed_state() {
        let c = GStatusCell::new(GStatus::Waiting);
        assert_eq!(c.try_scan(), ScanAttempt::Locked(GStatus::Waiting));
        assert_eq!(c.try_scan(), ScanAttempt::Retry);
        c.clear_scan();
        c.cas(GStatus::Waiting, GStatus::Runnable);
        assert_eq!(c.try_scan(), ScanAttempt::Locked(GStatus::Runnable));
        c.clear_scan();
        c.cas(GStatus::Runnable, GStatus::Running);
        assert_eq!(c.try_scan(), ScanAttempt::Running);
    }

    #[test]
    #[should_panic(expected = "bad transition Waiting -> Runnable: status is Running")]
    fn impossible_transition_panics_with_values() {
        let c = GStatusCell::new(GStatus::Running);
        c.cas(GStatus::Waiting, GStatus::Runnable);
    }
}
