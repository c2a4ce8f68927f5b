//! `poisonfree=1`: the sweeper fills every dead object with `POISON` (and a scan object's
//! header with `POISON_HEADER`), and in debug builds every `Gc`/`GcArray` dereference checks
//! that its object is still allocated, panicking with the address and type otherwise. Catches
//! a `Gc` kept in memory the collector does not scan (DESIGN decision 1).

use crate::collector::collector;
use crate::sync::atomic::Ordering;

/// The fill pattern of freed memory.
pub const POISON: u64 = 0xdead_beef_dead_beef;
/// The header of a freed scan object: not a valid `TypeInfo` address.
pub(crate) const POISON_HEADER: usize = 0xdead_0000_0000_0001;

/// Fills a dead slot. Sweeper, which owns the span.
pub(crate) fn fill(slot: usize, len: usize, noscan: bool) {
    let words = len / 8;
    for i in 0..words {
        // SAFETY: the slot is dead (unmarked) and inside the swept span we own; nothing
        // legitimately references it.
        unsafe { ((slot + i * 8) as *mut u64).write_volatile(POISON) };
    }
    if !noscan {
        crate::heap::header(slot).store(POISON_HEADER, Ordering::Relaxed);
    }
}

/// `poisonfree`: a weak upgrade returned `addr` (any address inside an object); it must be a
/// live one, or the weak protocol let a dead object out (seed 002's failure).
#[cold]
pub(crate) fn check_upgrade(addr: usize) {
    let c = collector();
    let live = c.heap.arena.find_object(addr).is_some_and(|o| {
        o.span.is_allocated(o.index)
            && (o.span.layout().spc.noscan() || crate::heap::header(o.slot).load(Ordering::Relaxed) != POISON_HEADER)
    });
    if !live {
        crate::debug::fatal(format_args!("weak upgrade returned a freed object {addr:#x} (poisonfree)"));
    }
}

/// Panics if `payload` is not a live object while `poisonfree` is on (a `Gc` dereference in
/// debug builds, every `GcCell::set`).
#[inline]
pub(crate) fn check_live(payload: usize, type_name: &str) {
    let c = collector();
    if !c.debug.poisonfree {
        return;
    }
    check_live_slow(payload, type_name);
}

/// As `check_live` for an address that may point inside its object (a decoded VM value, a
/// raw store of an interior pointer).
#[inline]
pub(crate) fn check_live_interior(addr: usize, type_name: &str) {
    let c = collector();
    if !c.debug.poisonfree {
        return;
    }
    match c.heap.arena.find_object(addr) {
        Some(o) => {
            let noscan = o.span.layout().spc.noscan();
            check_live_slow(if noscan { o.slot } else { o.slot + crate::heap::HEADER }, type_name)
        }
        None => check_live_slow(addr, type_name),
    }
}

#[cold]
fn check_live_slow(payload: usize, type_name: &str) {
    let c = collector();
    if !c.heap.arena.contains(payload) {
        panic!(
            "{payload:#x} ({type_name}) is not a heap address: a Gc forged from memory the collector does not \
             own (Gc::from_addr takes only addresses Gc::addr or the raw API returned) (poisonfree)"
        );
    }
    let Some(o) = c.heap.arena.find_object(payload) else {
        panic!("use of a freed object: {payload:#x} ({type_name}) is no longer in an in-use heap span (poisonfree)");
    };
    let noscan = o.span.layout().spc.noscan();
    let start = if noscan { o.slot } else { o.slot + crate::heap::HEADER };
    // A Gc points exactly at a payload start; one that lands inside another object means its
    // own object was freed and the memory reused by a different size class.
    let dead = payload != start
        || !o.span.is_allocated(o.index)
        || (!noscan && crate::heap::header(o.slot).load(Ordering::Relaxed) == POISON_HEADER);
    if dead {
        panic!(
            "use of a freed object: {payload:#x} ({type_name}) was freed by the collector; a Gc was kept \
             only in memory the collector does not scan (a Vec, a Box, a thread-local) — keep it in a Root, a RootedVec, \
             a GcArray or a traced field, or report that memory from a root scanner (raw::add_root_scanner) (poisonfree)"
        );
    }
}
