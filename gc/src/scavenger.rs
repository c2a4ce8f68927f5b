//! The background scavenger (Go's `bgscavenge`, simplified): returns heap pages that have been
//! free for `IDLE` to the OS, within seconds, without waiting for another collection (issue 9
//! item 8: 200 MB dropped and collected stayed resident until the next cycle). Pages freed
//! more recently stay committed, so allocation that reuses memory soon after a sweep does not
//! fault every page back in.
//!
//! A plain thread, not a goroutine: it needs only the heap lock (never the scheduler), and it
//! must not take a P from the program. It sleeps until kicked (a cycle's sweep completed, or
//! `free_os_memory`), then until the oldest free dirty page is `IDLE` old, releases what is
//! old enough in chunks (`CHUNK` pages per hold of the heap lock), and sleeps again; with no
//! dirty free page left it waits for the next kick.
//!
//! Page ages are milliseconds since the collector started (`now_ms`), the epoch the page
//! allocator records at every free.

use crate::collector::collector;
// A plain static flag, not part of a loom-modelled protocol (statics need const constructors,
// which loom's atomics lack), as the specials registry's parking_lot statics.
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// How long a free page stays committed before the scavenger returns it.
pub(crate) const IDLE: Duration = Duration::from_secs(1);
/// Pages released per hold of the heap lock (16 MiB): allocators wait at most one chunk's
/// `madvise`.
const CHUNK: usize = 2048;

static THREAD: OnceLock<std::thread::Thread> = OnceLock::new();
static KICKED: AtomicBool = AtomicBool::new(false);

/// The page allocator's clock: milliseconds since the collector started.
pub(crate) fn now_ms() -> u64 {
    collector().start.elapsed().as_millis() as u64
}

/// Wakes the scavenger (starting it the first time): free pages may have appeared. Cheap and
/// non-blocking (a flag and an unpark): called by the last sweeper of a cycle, which may be
/// inside an allocation.
pub(crate) fn kick() {
    // Relaxed: the unpark below orders the wake-up; the flag only says "look again".
    KICKED.store(true, Ordering::Relaxed);
    THREAD.get_or_init(start).unpark();
}

fn start() -> std::thread::Thread {
    std::thread::Builder::new()
        .name("tricolor-scavenger".into())
        .spawn(run)
        .unwrap_or_else(|e| crate::debug::fatal(format_args!("cannot start the scavenger thread: {e}")))
        .thread()
        .clone()
}

fn run() {
    let heap = &collector().heap;
    loop {
        // Relaxed: see `kick`.
        if !KICKED.swap(false, Ordering::Relaxed) {
            std::thread::park();
            continue;
        }
        loop {
            let idle = IDLE.as_millis() as u64;
            let cutoff = now_ms().saturating_sub(idle);
            while heap.scavenge(cutoff, CHUNK) == CHUNK {}
            match heap.oldest_dirty_free() {
                // Sleep until the oldest free page is old enough; a kick ends the sleep early
                // and is handled by the next round of this loop.
                Some(epoch) => {
                    let wait = (epoch + idle).saturating_sub(now_ms()).max(10);
                    std::thread::park_timeout(Duration::from_millis(wait));
                    KICKED.store(false, Ordering::Relaxed);
                }
                None => break,
            }
        }
    }
}

/// Returns every free heap page to the OS now (the second half of `free_os_memory`).
pub(crate) fn release_all() -> usize {
    let heap = &collector().heap;
    let mut n = 0;
    loop {
        let k = heap.scavenge(u64::MAX, CHUNK);
        n += k;
        if k < CHUNK {
            return n;
        }
    }
}
