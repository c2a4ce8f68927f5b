//! The raw API for VMs that describe their own object layouts: allocate with a `TypeInfo`
//! (`from_bitmap`, `builder` with pointer and VM value words, `var_len` for a fixed part plus
//! elements), read and store pointer, value and data words, register root scanners for the
//! VM's own memory.
//!
//! Two paths (`access.rs`, `unchecked.rs`):
//! - checked (`write_ptr`, `write_value`, `write_word`, ...): every entry point validates the
//!   object, the offset's bounds and kind, and the stored pointer, and returns a `RawError`
//!   naming the misuse rather than corrupting the heap;
//! - unchecked (`store_ptr`, `store_value`, `init_*`, `load_*`, `unsafe`): what `GcCell::set`
//!   costs, with the checked path's checks in debug builds and under `poisonfree`.
//!
//! Pointers may be interior (anywhere inside the target's payload): the marker resolves them.

use crate::collector::collector;
use crate::heap::{AllocError, HEADER};
use crate::object::type_info::TypeInfo;
use crate::sync::atomic::{AtomicUsize, Ordering};
use std::ptr::NonNull;

mod access;
mod error;
mod unchecked;

pub use crate::object::root::{add_root_scanner, RootScanner};
pub use crate::object::type_info::{Layout as TypeLayout, TypeError};
pub use access::{read_f64, read_ptr, read_value, read_word, write_f64, write_ptr, write_value, write_word};
pub use error::RawError;
#[cfg(all(test, not(loom)))]
pub(crate) use unchecked::store_raw_value_addr;
pub use unchecked::{init_ptr, init_value, load_ptr, load_value, store_ptr, store_value};

/// Allocates a zeroed object of the fixed-size type `ty` (its payload is `ty.size()` bytes)
/// and returns its payload address.
///
/// # Errors
/// As `Gc::try_new`.
///
/// # Panics
/// If `ty` is variable-length (use `alloc_array`).
pub fn alloc(ty: &'static TypeInfo) -> Result<NonNull<u8>, AllocError> {
    if ty.is_var_len() {
        panic!("raw::alloc({}): a variable-length type needs its length: use raw::alloc_array", ty.name());
    }
    let c = collector();
    let addr = c.alloc(ty, ty.size, ty.is_noscan())?;
    Ok(NonNull::new(addr as *mut u8).unwrap_or_else(|| tricolor_runtime::throw!("gc: null payload")))
}

/// Allocates a zeroed object of the variable-length type `ty` (`TypeInfo::var_len`) with
/// `len` elements: payload `[len][head][elem 0]...[elem len-1]`, element i at
/// `ty.element_offset(i)`. The length word is set here and cannot be changed.
///
/// # Errors
/// As `Gc::try_new`; `TooLarge` if the size overflows.
///
/// # Panics
/// If `ty` is not variable-length.
pub fn alloc_array(ty: &'static TypeInfo, len: usize) -> Result<NonNull<u8>, AllocError> {
    if !ty.is_var_len() {
        panic!("raw::alloc_array({}): not a variable-length type (build it with TypeInfo::var_len)", ty.name());
    }
    let bytes = ty.payload_size(len).ok_or(AllocError::TooLarge { requested: usize::MAX })?;
    let c = collector();
    // Always a scanned object (with a header), even with no pointers: the header is how the
    // raw API finds the length word and the layout.
    let (addr, gc_due, np) = c.alloc_deferred(ty, bytes, false)?;
    // SAFETY: the first payload word of our fresh object. Written inside the allocation's
    // no-preempt section: no scan sees the object before its length is set. Relaxed: the
    // object's address reaches other threads only through Release stores or a stop.
    unsafe { (*(addr as *const AtomicUsize)).store(len, Ordering::Relaxed) };
    drop(np);
    let p = NonNull::new(addr as *mut u8).unwrap_or_else(|| tricolor_runtime::throw!("gc: null payload"));
    if gc_due {
        c.maybe_collect(&p);
    }
    Ok(p)
}

/// The element count of a variable-length object.
///
/// # Errors
/// `NotAnObject`, or `NotVarLen` for an object of a fixed-size type.
pub fn array_len(object: usize) -> Result<usize, RawError> {
    let info = object_info(object).filter(|i| i.payload == object).ok_or(RawError::NotAnObject(object))?;
    match info.type_info {
        Some(t) if t.is_var_len() => Ok(access::var_len(object)),
        _ => Err(RawError::NotVarLen(object)),
    }
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
