//! External memory pressure: bytes outside the heap that heap objects own — a VM's byte
//! buffers in the system heap, C allocations, mapped files — counted toward the pacer's live
//! heap, so a program whose objects are small but own large buffers still collects (Go has no
//! such knob because its buffers are heap objects; .NET's `GC.AddMemoryPressure` is the
//! model). The count enters the trigger and the goal: a cycle starts when heap plus external
//! bytes reach the trigger, and the next goal grows from the marked heap plus the external
//! bytes live objects own — estimated by the count's low point since the previous mark, since
//! at mark end it still includes what the dead objects' cleanups are about to free.
//!
//! Typical use: an `ExternalMemory` token owned, with its buffer, by an
//! `tricolor_cleanup::Owned` value, so the cleanup that frees the buffer also drops the token.

use crate::collector::collector;
use crate::sync::atomic::Ordering;

/// Counts `bytes` of external memory (see the module docs). On a goroutine, starts a
/// collection if the heap plus external memory reached the trigger.
pub fn add_external(bytes: usize) {
    let c = collector();
    // Relaxed: a pacing estimate; the collection reads it with the world stopped or racily.
    let ext = c.external.fetch_add(bytes, Ordering::Relaxed) + bytes;
    if tricolor_runtime::hooks::pin_proc().is_ok() {
        c.maybe_collect(&());
        // Back-pressure: past twice the goal, the bytes of dead owners are waiting for the
        // sweeper and the cleanup goroutines. Give them the P, or a loop that adds external
        // memory faster than they run (a busy machine) grows the count, and with it the next
        // goal, without bound.
        if ext > 2 * c.pacer.goal() {
            tricolor_runtime::yield_now();
        }
    }
}

/// Stops counting `bytes` of external memory.
///
/// # Panics
/// If more is removed than was added (a double release names the misuse).
pub fn remove_external(bytes: usize) {
    let c = collector();
    // Relaxed: as in `add_external`.
    let prev = c.external.fetch_sub(bytes, Ordering::Relaxed);
    if prev < bytes {
        c.external.fetch_add(bytes, Ordering::Relaxed);
        panic!("gc::remove_external({bytes}): only {prev} bytes of external memory are counted (released twice?)");
    }
    c.external_low.fetch_min(prev - bytes, Ordering::Relaxed);
}

/// External bytes counted now.
pub fn external_bytes() -> usize {
    // Relaxed: a snapshot.
    collector().external.load(Ordering::Relaxed)
}

/// A count of external memory that lasts as long as the token: `add_external` at creation,
/// `remove_external` on drop.
#[derive(Debug)]
pub struct ExternalMemory {
    bytes: usize,
}

impl ExternalMemory {
    /// Counts `bytes` until the token drops (may start a collection, as `add_external`).
    pub fn new(bytes: usize) -> ExternalMemory {
        add_external(bytes);
        ExternalMemory { bytes }
    }

    /// The bytes this token counts.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for ExternalMemory {
    fn drop(&mut self) {
        remove_external(self.bytes);
    }
}
