//! The checked accessors: every call resolves the object, bounds-checks the offset against its
//! payload (the length word's for variable-length objects) and checks the word's kind in the
//! type's layout, so a misuse returns a `RawError` instead of corrupting the heap.

use super::{object_info, RawError};
use crate::collector::collector;
use crate::object::type_info::{TypeInfo, WordKind};
use crate::object::value::Tagging;
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The length word of a live variable-length object.
pub(super) fn var_len(object: usize) -> usize {
    // SAFETY: a live variable-length object's first payload word is its length.
    // Relaxed: written once, inside the allocation, before the object's address escaped.
    unsafe { (*(object as *const AtomicUsize)).load(Ordering::Relaxed) }
}

/// Payload size of the live object of type `ty` at `object`.
fn payload_size(object: usize, ty: &TypeInfo) -> usize {
    ty.payload_size(if ty.is_var_len() { var_len(object) } else { 0 }).unwrap_or(0)
}

/// The word at `offset` of `object` and what it holds, after checking the object and bounds.
fn word(object: usize, offset: usize) -> Result<(usize, WordKind, &'static str), RawError> {
    let info = object_info(object).filter(|i| i.payload == object).ok_or(RawError::NotAnObject(object))?;
    let (size, ty, name) = match info.type_info {
        None => (info.slot_size, None, "<noscan object>"),
        Some(ty) => (payload_size(object, ty), Some(ty), ty.name()),
    };
    if offset.checked_add(8).is_none_or(|end| end > size) {
        return Err(RawError::OffsetOutOfBounds { object, offset, size });
    }
    // An unaligned offset is no word of any kind: every accessor refuses `Traced`.
    let kind = if !offset.is_multiple_of(8) { WordKind::Traced } else { ty.map_or(WordKind::Data, |t| t.word_kind(offset)) };
    Ok((object + offset, kind, name))
}

pub(super) fn pointer_slot(object: usize, offset: usize) -> Result<&'static AtomicUsize, RawError> {
    match word(object, offset)? {
        // SAFETY: an 8-aligned word inside a live object's payload (`word` checked both).
        (a, WordKind::Pointer, _) => Ok(unsafe { &*(a as *const AtomicUsize) }),
        (_, _, type_name) => Err(RawError::NotAPointerSlot { object, offset, type_name }),
    }
}

pub(super) fn value_slot(object: usize, offset: usize) -> Result<(&'static AtomicU64, Tagging), RawError> {
    match word(object, offset)? {
        // SAFETY: as in `pointer_slot`.
        (a, WordKind::Value(t), _) => Ok((unsafe { &*(a as *const AtomicU64) }, t)),
        (_, _, type_name) => Err(RawError::NotAValueSlot { object, offset, type_name }),
    }
}

fn data_slot(object: usize, offset: usize) -> Result<&'static AtomicU64, RawError> {
    match word(object, offset)? {
        // SAFETY: as in `pointer_slot`.
        (a, WordKind::Data, _) => Ok(unsafe { &*(a as *const AtomicU64) }),
        (_, _, type_name) => Err(RawError::NotADataWord { object, offset, type_name }),
    }
}

/// `addr` is 0 or inside a live object (its header excluded); `stored` is what the caller
/// stores, for the error.
pub(super) fn check_target(addr: usize, stored: usize) -> Result<(), RawError> {
    if addr != 0 && object_info(addr).is_none_or(|i| addr < i.payload || addr >= i.end()) {
        return Err(RawError::ValueNotAnObject(stored));
    }
    Ok(())
}

/// Stores `value` (0, or any address inside a live object: its payload start or an interior
/// pointer) into pointer word `offset` of `object`, through the write barrier.
///
/// # Errors
/// A `RawError` naming what is wrong: `object` not an object, `offset` out of bounds or not a
/// pointer word of the object's type, `value` not pointing into a live object.
pub fn write_ptr(object: usize, offset: usize, value: usize) -> Result<(), RawError> {
    check_target(value, value)?;
    let slot = pointer_slot(object, offset)?;
    // The barrier and its store in one no-preempt section (`mark/barrier.rs`).
    let _np = tricolor_runtime::NoPreempt::new();
    crate::mark::barrier::write(slot, value);
    // Release: the target's contents are visible to whoever loads the pointer.
    slot.store(value, Ordering::Release);
    Ok(())
}

/// Reads pointer word `offset` of `object`.
///
/// # Errors
/// As `write_ptr` for `object` and `offset`.
pub fn read_ptr(object: usize, offset: usize) -> Result<usize, RawError> {
    // Acquire pairs with the stores' Release.
    Ok(pointer_slot(object, offset)?.load(Ordering::Acquire))
}

/// Stores the VM value `word` into value word `offset` of `object` (a layout built with
/// `TypeBuilder::values`), through the write barrier; the layout's tagging decodes it.
///
/// # Errors
/// As `write_ptr`; `NotAValueSlot` if the word is not a value word; `ValueNotAnObject` if the
/// tagging decodes `word` as a pointer that is not into a live object.
pub fn write_value(object: usize, offset: usize, word: u64) -> Result<(), RawError> {
    let (slot, t) = value_slot(object, offset)?;
    check_target(t.decode(word).unwrap_or(0), word as usize)?;
    let _np = tricolor_runtime::NoPreempt::new();
    crate::mark::barrier::write_value(collector(), slot, word, t);
    // Release: as in `write_ptr`.
    slot.store(word, Ordering::Release);
    Ok(())
}

/// Reads value word `offset` of `object`.
///
/// # Errors
/// As `write_value` for `object` and `offset`.
pub fn read_value(object: usize, offset: usize) -> Result<u64, RawError> {
    // Acquire pairs with the stores' Release.
    Ok(value_slot(object, offset)?.0.load(Ordering::Acquire))
}

/// Stores a plain data word (not a pointer, value or length word).
///
/// # Errors
/// `NotAnObject`, `OffsetOutOfBounds`, `NotADataWord`.
pub fn write_word(object: usize, offset: usize, w: u64) -> Result<(), RawError> {
    // Relaxed: data words carry no pointers; their order against other data is the VM's.
    data_slot(object, offset)?.store(w, Ordering::Relaxed);
    Ok(())
}

/// Reads a plain data word.
///
/// # Errors
/// As `write_word`.
pub fn read_word(object: usize, offset: usize) -> Result<u64, RawError> {
    // Relaxed: as in `write_word`.
    Ok(data_slot(object, offset)?.load(Ordering::Relaxed))
}

/// `write_word` of an `f64`'s bits.
///
/// # Errors
/// As `write_word`.
pub fn write_f64(object: usize, offset: usize, x: f64) -> Result<(), RawError> {
    write_word(object, offset, x.to_bits())
}

/// `read_word` as an `f64`.
///
/// # Errors
/// As `write_word`.
pub fn read_f64(object: usize, offset: usize) -> Result<f64, RawError> {
    read_word(object, offset).map(f64::from_bits)
}
