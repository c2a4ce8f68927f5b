//! The unchecked fast path: stores that cost what `GcCell::set` costs (one load of the phase,
//! the store; the barrier's slow path while marking). Debug builds and `poisonfree` run the
//! checked path's checks first and panic on a misuse, so a VM tests with the checks and ships
//! without them.

use super::access::{check_target, pointer_slot, value_slot};
use super::RawError;
use crate::collector::{collector, Collector};
use crate::heap::HEADER;
use crate::object::type_info::{TypeInfo, WordKind};
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

#[cold]
#[inline(never)]
fn misuse(api: &str, e: RawError) -> ! {
    panic!("raw::{api}: {e} (checked because this is a debug build or poisonfree is on)")
}

/// Whether the unchecked entry points validate.
#[inline(always)]
fn checking(c: &Collector) -> bool {
    cfg!(debug_assertions) || c.debug.poisonfree
}

/// `write_ptr` without the checks.
///
/// # Safety
/// `object` is a live object's payload, `offset` one of its pointer words, `value` 0 or an
/// address inside a live object; called on a goroutine.
#[inline]
pub unsafe fn store_ptr(object: usize, offset: usize, value: usize) {
    let c = collector();
    if checking(c) {
        if let Err(e) = check_target(value, value).and_then(|_| pointer_slot(object, offset)) {
            misuse("store_ptr", e);
        }
    }
    // SAFETY: the caller's contract: an 8-aligned pointer word of a live object.
    let slot = unsafe { &*((object + offset) as *const AtomicUsize) };
    if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
        crate::mark::barrier::not_goroutine();
    }
    // Barrier and Release store, never split by a stop (`mark/barrier.rs`).
    crate::mark::barrier::store_ptr_word(c, slot, value);
}

/// `write_value` without the checks; the tagging is read from the object's type only while
/// marking (the barrier's slow path).
///
/// # Safety
/// `object` is a live object's payload, `offset` one of its value words, and `word` decodes
/// (by the layout's tagging) to no pointer or to one into a live object; on a goroutine.
#[inline]
pub unsafe fn store_value(object: usize, offset: usize, word: u64) {
    let c = collector();
    if checking(c) {
        if let Err(e) = value_slot(object, offset).and_then(|(_, t)| check_target(t.decode(word).unwrap_or(0), word as usize)) {
            misuse("store_value", e);
        }
    }
    // SAFETY: the caller's contract: an 8-aligned value word of a live object.
    let slot = unsafe { &*((object + offset) as *const AtomicU64) };
    if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
        crate::mark::barrier::not_goroutine();
    }
    // Barrier and Release store, never split by a stop (`mark/barrier.rs`).
    store_raw_value(c, object, offset, slot, word);
}

/// `barrier::store_value_word` for a raw object: the tagging is read from the object's type
/// on the slow path only (a header load and a layout lookup). In the async-unsafe section,
/// as `store_value_word`.
#[inline(never)]
#[link_section = "tricolor_np"]
fn store_raw_value(c: &'static Collector, object: usize, offset: usize, slot: &AtomicU64, word: u64) {
    if c.phase.barrier_on() {
        return store_raw_value_slow(c, object, offset, slot, word);
    }
    // Release: as in `store_ptr`.
    slot.store(word, Ordering::Release);
}

#[cold]
#[inline(never)]
fn store_raw_value_slow(c: &'static Collector, object: usize, offset: usize, slot: &AtomicU64, word: u64) {
    // SAFETY: a live object with value words is a scan object: its header is published
    // (`store_value`'s contract).
    let t = match unsafe { type_of(object) }.word_kind(offset) {
        WordKind::Value(t) => t,
        _ => tricolor_runtime::throw!("raw::store_value: offset {offset} of {object:#x} is not a value word (a broken safety contract)"),
    };
    // The section function's slow path, with its no-preempt section.
    crate::mark::barrier::store_value_slow(c, slot, word, &t);
}

/// # Safety
/// `object` is a live scan object's payload.
unsafe fn type_of(object: usize) -> &'static TypeInfo {
    // Acquire: pairs with the header's publication.
    let h = crate::heap::header(object - HEADER).load(Ordering::Acquire);
    // SAFETY: a live scan object's header holds its `&'static TypeInfo` (caller).
    unsafe { &*(h as *const TypeInfo) }
}

/// Reads pointer word `offset` of `object`, unchecked.
///
/// # Safety
/// As `store_ptr` for `object` and `offset`.
#[inline]
pub unsafe fn load_ptr(object: usize, offset: usize) -> usize {
    // SAFETY: the caller's contract. Acquire pairs with the stores' Release.
    unsafe { (*((object + offset) as *const AtomicUsize)).load(Ordering::Acquire) }
}

/// Reads value word `offset` of `object`, unchecked.
///
/// # Safety
/// As `store_value` for `object` and `offset`.
#[inline]
pub unsafe fn load_value(object: usize, offset: usize) -> u64 {
    // SAFETY: the caller's contract. Acquire pairs with the stores' Release.
    unsafe { (*((object + offset) as *const AtomicU64)).load(Ordering::Acquire) }
}

/// Initialises pointer word `offset` of a fresh object (one whose word still holds its zero).
/// Debug builds check that the word is 0.
///
/// # Safety
/// As `store_ptr`, and the word is still 0.
#[inline]
pub unsafe fn init_ptr(object: usize, offset: usize, value: usize) {
    // SAFETY: forwarded contract (a pointer word of a live object).
    let old = unsafe { load_ptr(object, offset) };
    debug_assert_eq!(old, 0, "raw::init_ptr: word {offset} of {object:#x} is not fresh");
    // SAFETY: forwarded contract.
    unsafe { store_ptr(object, offset, value) }
}

/// Initialises value word `offset` of a fresh object (see `init_ptr`).
///
/// # Safety
/// As `store_value`, and the word is still 0.
#[inline]
pub unsafe fn init_value(object: usize, offset: usize, word: u64) {
    // SAFETY: forwarded contract (a value word of a live object).
    let old = unsafe { load_value(object, offset) };
    debug_assert_eq!(old, 0, "raw::init_value: word {offset} of {object:#x} is not fresh");
    // SAFETY: forwarded contract.
    unsafe { store_value(object, offset, word) }
}

/// `store_raw_value`'s address, for the test that checks its section.
#[cfg(all(test, not(loom)))]
pub(crate) fn store_raw_value_addr() -> usize {
    store_raw_value as *const () as usize
}
