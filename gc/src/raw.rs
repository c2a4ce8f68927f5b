//! The raw API for VMs that describe their own object layouts: allocate with a `TypeInfo` built
//! from a pointer bitmap, read and store pointer words through the write barrier, register root
//! scanners for the VM's own memory. Every entry point validates its addresses and returns an
//! error naming the misuse rather than corrupting the heap.

use crate::collector::collector;
use crate::heap::{AllocError, HEADER};
use crate::object::type_info::{Layout, TypeInfo};
use crate::sync::atomic::{AtomicUsize, Ordering};
use std::fmt;
use std::ptr::NonNull;

pub use crate::object::root::{add_root_scanner, RootScanner};
pub use crate::object::type_info::{Layout as TypeLayout, TypeError};

/// A misuse of the raw API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawError {
    /// The address is not the start of a live heap object's payload.
    NotAnObject(usize),
    /// The offset is outside the object's payload.
    OffsetOutOfBounds {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The payload size.
        size: usize,
    },
    /// The offset is not a pointer word of the object's type.
    NotAPointerSlot {
        /// The object.
        object: usize,
        /// The offset given.
        offset: usize,
        /// The type's name.
        type_name: &'static str,
    },
    /// The value stored is neither 0 nor a live heap object.
    ValueNotAnObject(usize),
}

impl fmt::Display for RawError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawError::NotAnObject(a) => write!(f, "raw: {a:#x} is not the payload of a live heap object"),
            RawError::OffsetOutOfBounds { object, offset, size } => {
                write!(f, "raw: offset {offset} is outside object {object:#x}'s {size}-byte payload")
            }
            RawError::NotAPointerSlot { object, offset, type_name } => {
                write!(f, "raw: offset {offset} of object {object:#x} ({type_name}) is not a pointer word in its type's bitmap")
            }
            RawError::ValueNotAnObject(v) => write!(f, "raw: storing {v:#x}, which is neither 0 nor a live heap object"),
        }
    }
}

impl std::error::Error for RawError {}

/// Allocates a zeroed object of type `ty` (its payload is `ty.size()` bytes) and returns its
/// payload address.
///
/// # Errors
/// As `Gc::try_new`.
pub fn alloc(ty: &'static TypeInfo) -> Result<NonNull<u8>, AllocError> {
    let c = collector();
    let addr = c.alloc(ty, ty.size, ty.is_noscan())?;
    Ok(NonNull::new(addr as *mut u8).unwrap_or_else(|| tricolor_runtime::throw!("gc: null payload")))
}

/// What the heap knows about an object.
#[derive(Clone, Copy, Debug)]
pub struct ObjectInfo {
    /// Payload address.
    pub payload: usize,
    /// Slot size in bytes (header included).
    pub slot_size: usize,
    /// The type, for scan objects.
    pub type_info: Option<&'static TypeInfo>,
}

impl ObjectInfo {
    /// The end of the object's slot (one past its last byte; header excluded from the start,
    /// so `[payload, end())` is everything an interior pointer may point at).
    pub fn end(&self) -> usize {
        let slot = if self.type_info.is_some() { self.payload - HEADER } else { self.payload };
        slot + self.slot_size
    }
}

/// Resolves any address (interior pointers included) to the live object containing it.
pub fn object_info(addr: usize) -> Option<ObjectInfo> {
    let c = collector();
    let found = crate::sweep::lookup(&c.heap, addr)?;
    let o = found.obj;
    let l = o.span.layout();
    if l.spc.noscan() {
        return Some(ObjectInfo { payload: o.slot, slot_size: l.elemsize, type_info: None });
    }
    let h = crate::heap::header(o.slot).load(Ordering::Acquire);
    if h == 0 || h == crate::debug::poison::POISON_HEADER {
        return None;
    }
    // SAFETY: a published header holds a `&'static TypeInfo`.
    let ty = unsafe { &*(h as *const TypeInfo) };
    Some(ObjectInfo { payload: o.slot + HEADER, slot_size: l.elemsize, type_info: Some(ty) })
}

fn pointer_slot(object: usize, offset: usize) -> Result<&'static AtomicUsize, RawError> {
    let info = object_info(object).filter(|i| i.payload == object).ok_or(RawError::NotAnObject(object))?;
    let ty = info.type_info.ok_or(RawError::NotAPointerSlot { object, offset, type_name: "<noscan object>" })?;
    if offset.checked_add(8).is_none_or(|end| end > ty.size) {
        return Err(RawError::OffsetOutOfBounds { object, offset, size: ty.size });
    }
    let is_ptr = match ty.layout {
        Layout::Words(bits) => offset.is_multiple_of(8) && bits.get(offset / 64 / 8).is_some_and(|w| w >> (offset / 8 % 64) & 1 == 1),
        _ => false,
    };
    if !is_ptr {
        return Err(RawError::NotAPointerSlot { object, offset, type_name: ty.name() });
    }
    // SAFETY: an 8-aligned word inside a live object's payload.
    Ok(unsafe { &*((object + offset) as *const AtomicUsize) })
}

/// Stores `value` (0 or a live object's payload address) into pointer word `offset` of
/// `object`, through the write barrier.
///
/// # Errors
/// A `RawError` naming what is wrong: `object` not an object, `offset` out of bounds or not a
/// pointer word of the object's bitmap type, `value` not an object.
pub fn write_ptr(object: usize, offset: usize, value: usize) -> Result<(), RawError> {
    if value != 0 && object_info(value).filter(|i| i.payload == value).is_none() {
        return Err(RawError::ValueNotAnObject(value));
    }
    let slot = pointer_slot(object, offset)?;
    crate::mark::barrier::write(slot, value);
    // Release: the target's contents are visible to whoever loads the pointer.
    slot.store(value, Ordering::Release);
    Ok(())
}

/// The write barrier for memory the collector reaches through a root scanner (a VM's own
/// tables): call it before replacing `old` with `new` in such memory, and before removing
/// `old` (with `new = 0`). While the collector marks concurrently it shades both; otherwise it
/// costs one load. Root scanners run once per cycle, when the cycle starts, so a VM that
/// changes scanned memory without this barrier may have an object freed under it.
///
/// The barrier and the VM's store must not be separated by a stop: hold a
/// `tricolor::runtime::NoPreempt` across both (the preemption signal may otherwise suspend
/// the goroutine between them, and a cycle that starts there misses the new value). The
/// library's own slots (`GcCell`, `raw::write_ptr`) do this themselves.
#[inline]
pub fn write_barrier(old: usize, new: usize) {
    let c = collector();
    if c.phase.barrier_on() {
        crate::mark::barrier::shade_pair(c, old, new);
    }
}

/// Reads pointer word `offset` of `object`.
///
/// # Errors
/// As `write_ptr` for `object` and `offset`.
pub fn read_ptr(object: usize, offset: usize) -> Result<usize, RawError> {
    Ok(pointer_slot(object, offset)?.load(Ordering::Acquire))
}
