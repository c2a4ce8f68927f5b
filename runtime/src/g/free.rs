//! Free lists of dead Gs (with their stacks): a small per-P cache in front of a global list, as
//! Go's `gFree`.
//!
//! Reuse is the hot path (a wave of goroutines dies and the next wave takes the same stacks), so
//! freeing never makes a system call. Memory is returned later, off the hot path: an M about to
//! sleep calls `trim_stacks`, which at most every `TRIM_EVERY` gives the pages of all but
//! `KEEP_COMMITTED` pooled stacks back to the OS (like Go freeing dead G stacks at GC time). A
//! burst of goroutines therefore does not pin its stack memory once the process goes idle.

use super::G;
use crate::p::P;
use crate::sched::Sched;
use crate::sync::atomic::Ordering;

/// Per-P cache size; half is moved to or from the global list at a time.
const LOCAL_MAX: usize = 64;
/// Pooled stacks that keep their touched pages after a trim.
const KEEP_COMMITTED: usize = 256;
/// Minimum interval between trims, in nanoseconds.
const TRIM_EVERY: i64 = 100_000_000;

/// The global free lists. Protected by `Sched::gfree`.
#[derive(Debug, Default)]
pub(crate) struct FreeGs {
    /// Dead Gs whose stacks may still hold committed pages; newest last.
    committed: Vec<&'static G>,
    /// Dead Gs whose stack pages were returned to the OS.
    released: Vec<&'static G>,
}

impl FreeGs {
    pub(crate) fn push(&mut self, g: &'static G) {
        self.committed.push(g);
    }

    pub(crate) fn pop(&mut self) -> Option<&'static G> {
        self.committed.pop().or_else(|| self.released.pop())
    }

    pub(crate) fn len(&self) -> usize {
        self.committed.len() + self.released.len()
    }
}

/// Puts a dead G on `p`'s free list. Caller owns `p`.
pub(crate) fn gfput(s: &Sched, p: &P, g: &'static G) {
    p.with_owned(|o| {
        o.gfree.push(g);
        if o.gfree.len() >= LOCAL_MAX {
            let mut global = s.gfree.lock();
            for g in o.gfree.drain(LOCAL_MAX / 2..) {
                global.push(g);
            }
        }
    });
}

/// Takes a dead G from `p`'s cache, refilling it from the global list. Caller owns `p`.
pub(crate) fn gfget(s: &Sched, p: &P) -> Option<&'static G> {
    p.with_owned(|o| {
        if o.gfree.is_empty() {
            let mut global = s.gfree.lock();
            for _ in 0..LOCAL_MAX / 2 {
                match global.pop() {
                    Some(g) => o.gfree.push(g),
                    None => break,
                }
            }
        }
        o.gfree.pop()
    })
}

/// Returns the stack pages of the oldest pooled Gs beyond `KEEP_COMMITTED`. Called by Ms on
/// their way to sleep; rate-limited, so it costs one clock read most of the time.
pub(crate) fn trim_stacks(s: &Sched) {
    let now = crate::time::nanotime();
    let last = s.last_stack_trim.load(Ordering::Relaxed);
    if now - last < TRIM_EVERY || s.last_stack_trim.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
        return;
    }
    let victims: Vec<&'static G> = {
        let mut global = s.gfree.lock();
        let n = global.committed.len().saturating_sub(KEEP_COMMITTED);
        global.committed.drain(..n).collect()
    };
    if victims.is_empty() {
        return;
    }
    // madvise outside the lock: these Gs are ours until they go back on the list.
    for g in &victims {
        g.stack.release_pages();
    }
    s.gfree.lock().released.extend(victims);
}
