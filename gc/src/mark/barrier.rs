//! The write barrier and the one `shade` primitive (DESIGN decision 4, reference §3).
//!
//! Every store of a heap pointer into an existing object or into root memory goes through
//! `write` *before* the store. While marking is on (`phase::PhaseWord::barrier_on`), the hybrid
//! barrier shades the old value (Yuasa deletion: a reference a scanned stack may have loaded
//! does not vanish unseen) and the new one (Dijkstra insertion: the value may come from a
//! stack not scanned yet). Shading is buffered: both words go into the P's `WbBuf` (Go's
//! `wbBuf`, 256 words) and the buffer is flushed into that P's mark work when full, by the
//! ragged barrier of termination, and inside stop #2. Marking off: one load and a branch.
//!
//! No preemption point lies between the barrier and its store: neither reaches a safepoint,
//! and the preemption signal does not stop a goroutine between them either — the library's
//! own slots (`GcCell::set`, `GcValue::set`, `raw::store_*`) run check and store in
//! `store_ptr_word` / `store_value_word`, which live in the runtime's async-unsafe section
//! (`tricolor_runtime::preempt::unsafe_points`: the signal handler does not stop code there,
//! Go's unsafe points) and whose slow paths hold a `NoPreempt` from before the shade to after
//! the store. (Before this, a signal could suspend a goroutine for stop #1 between reading
//! "marking off" and its store: the store then ran unshaded while marking, and the old value —
//! perhaps loaded meanwhile by a goroutine whose stack was already scanned — was never shaded.)
//! So a stop cannot fall between them (Go's `mwbbuf.go`: a barrier flushed, then a stop, then the store
//! would let termination miss the store's new value).
//!
//! Root mutation points, every one of which shades (`shade` / `shade_range` / `shade_traced`):
//! - `GcCell::set`, `raw::write_ptr`, `raw::write_barrier` (VM-managed scanned memory): `write`.
//! - `Gc::new`, `GcArray::from_fn`: the initial values of a fresh (black) object (`shade_traced`).
//! - `Root::new` (new value), `Root` drop (old value); `Rooted` and `RootedVec`: creation
//!   (new values), every store and removal (old and new), drop (old), all with `shade_root`
//!   (`object/rooted.rs`, ARCHITECTURE decision 49).
//! - channel buffers: every value moved under a channel's lock (`hooks::Collector::shade_range`,
//!   `runtime/src/gsync/chan/buffers.rs` step 3).
//! - a goroutine's spawn packet and its finished result (`hooks::Collector::shade_range`).
//! - `specials::add` while marking: the record's data (a cleanup's function and argument, a
//!   weak handle's cell), invariant 25; a weak upgrade's referent (invariant 24).
//! - the cleanup queue: a record taken for running while marking (`internals::shade_traced`).

use crate::collector::{collector, Collector};
use crate::object::trace::Tracer;
use crate::perp::Pinned;
use crate::sync::atomic::{AtomicUsize, Ordering};
use tricolor_runtime::hooks::NoProc;

/// Words per P's barrier buffer.
pub(crate) const WBUF_LEN: usize = 256;

/// A P's write-barrier buffer: words to shade.
pub(crate) struct WbBuf {
    n: usize,
    buf: [usize; WBUF_LEN],
}

impl WbBuf {
    pub(crate) fn new() -> WbBuf {
        WbBuf { n: 0, buf: [0; WBUF_LEN] }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Takes the buffered words (for a flush into the P's mark work).
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = usize> + '_ {
        let n = std::mem::take(&mut self.n);
        self.buf[..n].iter().copied()
    }
}

/// Runs the barrier for a store of `new` into `slot` (the old value is read from the slot).
#[inline]
pub(crate) fn write(slot: &AtomicUsize, new: usize) {
    write_in(collector(), slot, new)
}

/// `write` for a caller that has the collector at hand already (`GcCell::set`).
#[inline]
pub(crate) fn write_in(c: &'static Collector, slot: &AtomicUsize, new: usize) {
    // Debug builds check the thread on every store, so the misuse shows deterministically
    // (release builds find it only while marking, where it would lose an object).
    if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
        not_goroutine();
    }
    if c.phase.barrier_on() {
        // Relaxed: the old value is the slot's current one for this thread (we are about to
        // overwrite it); a racing store's value is shaded by that store's own barrier.
        shade_pair(c, slot.load(Ordering::Relaxed), new);
    }
}

/// The barrier and the store of a pointer word, as one sequence the preemption signal never
/// stops (see the module docs). Fast path: one load of the phase, the store.
#[inline(never)]
#[link_section = "tricolor_np"]
pub(crate) fn store_ptr_word(c: &'static Collector, slot: &AtomicUsize, new: usize) {
    if c.phase.barrier_on() {
        return store_ptr_slow(c, slot, new);
    }
    // Release: the target's contents are visible to whoever loads the pointer.
    slot.store(new, Ordering::Release);
}

#[cold]
#[inline(never)]
fn store_ptr_slow(c: &'static Collector, slot: &AtomicUsize, new: usize) {
    // Shade and store in one no-preempt section: code outside `store_ptr_word` is not in the
    // async-unsafe section.
    let _np = tricolor_runtime::NoPreempt::new();
    // Relaxed: as in `write_in`.
    shade_pair(c, slot.load(Ordering::Relaxed), new);
    // Release: as in `store_ptr_word`.
    slot.store(new, Ordering::Release);
}

/// `store_ptr_word` for a VM value word, decoded by `tagging` on the slow path only.
#[inline(never)]
#[link_section = "tricolor_np"]
pub(crate) fn store_value_word(
    c: &'static Collector,
    slot: &crate::sync::atomic::AtomicU64,
    new: u64,
    tagging: &crate::object::value::Tagging,
) {
    if c.phase.barrier_on() {
        return store_value_slow(c, slot, new, tagging);
    }
    // Release: as in `store_ptr_word`.
    slot.store(new, Ordering::Release);
}

#[cold]
#[inline(never)]
pub(crate) fn store_value_slow(
    c: &'static Collector,
    slot: &crate::sync::atomic::AtomicU64,
    new: u64,
    tagging: &crate::object::value::Tagging,
) {
    let _np = tricolor_runtime::NoPreempt::new();
    // Relaxed: as in `write_in`.
    let old = slot.load(Ordering::Relaxed);
    shade_pair(c, tagging.decode(old).unwrap_or(0), tagging.decode(new).unwrap_or(0));
    // Release: as in `store_ptr_word`.
    slot.store(new, Ordering::Release);
}

/// `write` for a VM value slot (`GcValue`, raw value words): the old and the new word are
/// decoded by `tagging` on the slow path only, so the fast path is `write_in`'s.
#[inline]
pub(crate) fn write_value(c: &'static Collector, slot: &crate::sync::atomic::AtomicU64, new: u64, tagging: crate::object::value::Tagging) {
    if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
        not_goroutine();
    }
    if c.phase.barrier_on() {
        // Relaxed: as in `write_in`.
        let old = slot.load(Ordering::Relaxed);
        shade_pair(c, tagging.decode(old).unwrap_or(0), tagging.decode(new).unwrap_or(0));
    }
}

/// The buffered slow path of `write`: Go's hybrid barrier, `shade(old)` always and
/// `shade(new)` while the storing goroutine's stack is grey (not yet scanned this cycle). A
/// black stack's pointers are all shaded or reachable from an object not yet scanned, whose
/// unlinking shades them (the deletion half); a fresh object's value came from such a stack or
/// from a fresh object, which is black (Yuasa + Dijkstra, reference §3.2).
#[cold]
#[inline(never)]
pub(crate) fn shade_pair(c: &'static Collector, old: usize, new: usize) {
    // Acquire: the cycle number published in stop #1.
    match Pinned::new_scanned(c.marker.conc.gen.load(Ordering::Acquire)) {
        Ok((pin, black)) => buffer(c, &pin, old, if black { 0 } else { new }),
        Err(NoProc::NotGoroutine) => not_goroutine(),
        Err(NoProc::InBlocking) => orphan(c, old, new),
    }
}

/// Both words into the pinned P's barrier buffer (flushed into its mark work when full).
fn buffer(c: &'static Collector, pin: &Pinned, old: usize, new: usize) {
    c.marker.perp().with(pin, |s| {
        if s.wbuf.n + 2 > WBUF_LEN {
            s.flush_wbuf();
        }
        for v in [old, new] {
            if v != 0 {
                s.wbuf.buf[s.wbuf.n] = v;
                s.wbuf.n += 1;
            }
        }
    })
}

/// Off a P: grey both words straight into the shared orphan worker.
fn orphan(c: &'static Collector, old: usize, new: usize) {
    c.marker.with_orphan(|w| {
        for v in [old, new] {
            if v != 0 {
                w.grey_precise(v);
            }
        }
    })
}

#[cold]
pub(crate) fn not_goroutine() -> ! {
    panic!(
        "tricolor-gc: a pointer store into a heap object from a thread that is not a goroutine: heap objects may \
         only be changed on goroutines (enter the runtime with block_on or go)"
    )
}

/// Shades one precise pointer (payload address or 0) if marking is on. Any thread: `Root`
/// handles live and die anywhere, and plain threads upgrade weak pointers; off a P the shade
/// goes to the shared orphan worker.
pub(crate) fn shade(addr: usize) {
    let c = collector();
    if addr == 0 || !c.phase.marking() {
        return;
    }
    match Pinned::new() {
        Ok(pin) => buffer(c, &pin, addr, 0),
        Err(_) => orphan(c, addr, 0),
    }
}

/// Runs `f` with a tracer on the current P's mark work (or the orphan worker off a P) if
/// marking is on: how fresh objects' initial values, special records and taken cleanup
/// records are shaded. `f` must not allocate from the heap.
pub(crate) fn shade_traced(f: impl FnOnce(&mut Tracer<'_>)) {
    let c = collector();
    if c.phase.marking() {
        traced(c, Pinned::new().map(|pin| (pin, false)), f);
    }
}

/// `shade_traced` from any thread: off a P (a plain thread, a `blocking(..)` call) onto the
/// orphan worker instead of refusing. For root memory, whose handles live anywhere (`Rooted`,
/// `RootedVec`). `f` must not allocate from the heap.
pub(crate) fn shade_root(f: impl FnOnce(&mut Tracer<'_>)) {
    let c = collector();
    if c.phase.marking() {
        match Pinned::new() {
            Ok(pin) => c.marker.perp().with(&pin, |s| f(&mut Tracer { w: &mut s.w })),
            Err(_) => c.marker.with_orphan(|w| f(&mut Tracer { w })),
        }
    }
}

/// A fresh object's initial values while marking (`Gc::new`, `GcArray::from_fn`): shaded by
/// `f` unless the goroutine's stack is black already (see `shade_pair`).
pub(crate) fn shade_initial(f: impl FnOnce(&mut Tracer<'_>)) {
    let c = collector();
    if c.phase.marking() {
        // Acquire: the cycle number published in stop #1.
        traced(c, Pinned::new_scanned(c.marker.conc.gen.load(Ordering::Acquire)), f);
    }
}

/// `f` onto the pinned P's mark work unless the pin says the stack is black (`true`); onto the
/// orphan worker off a P.
fn traced(c: &'static Collector, pinned: Result<(Pinned, bool), NoProc>, f: impl FnOnce(&mut Tracer<'_>)) {
    match pinned {
        Ok((_, true)) => {}
        Ok((pin, false)) => c.marker.perp().with(&pin, |s| f(&mut Tracer { w: &mut s.w })),
        Err(NoProc::NotGoroutine) => not_goroutine(),
        Err(NoProc::InBlocking) => c.marker.with_orphan(|w| f(&mut Tracer { w })),
    }
}

/// Shades `[lo, hi)` conservatively if marking is on (spawn packets, goroutine results).
pub(crate) fn shade_range(lo: usize, hi: usize) {
    let c = collector();
    if !c.phase.marking() {
        return;
    }
    match Pinned::new() {
        Ok(pin) => c.marker.perp().with(&pin, |s| s.w.scan_range_conservative(lo, hi)),
        Err(_) => c.marker.with_orphan(|w| w.scan_range_conservative(lo, hi)),
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    /// The barrier's check-and-store functions are where the signal handler looks for them:
    /// inside the runtime's async-unsafe section (else a stop could fall between a barrier that
    /// saw "marking off" and its store).
    #[test]
    fn the_barrier_stores_are_in_the_async_unsafe_section() {
        let (lo, hi) = tricolor_runtime::hooks::unsafe_point_bounds();
        assert!(lo < hi, "the section is empty: [{lo:#x}, {hi:#x})");
        for (name, f) in [
            ("store_ptr_word", super::store_ptr_word as *const () as usize),
            ("store_value_word", super::store_value_word as *const () as usize),
            ("raw::store_raw_value", crate::raw::store_raw_value_addr()),
        ] {
            assert!((lo..hi).contains(&f), "{name} at {f:#x} is outside the section [{lo:#x}, {hi:#x})");
        }
        // And the slow paths, which hold a NoPreempt instead, are not.
        let slow = super::store_ptr_slow as *const () as usize;
        assert!(!(lo..hi).contains(&slow), "store_ptr_slow should be ordinary code");
    }
}
