//! A cleanup record: the boxed function and argument of one registered cleanup, off the
//! collected heap (Rust's allocator), type-erased behind a header of function pointers.
//!
//! Its body — the closure and the argument, side by side — is a root from registration until
//! the cleanup runs or is stopped: the special kind scans it while the record hangs off its
//! object, the queue's root scanner while it waits in a block (`queue.rs`). The body is scanned
//! conservatively (`Tracer::conservative`): we do not know the layout of a closure's captures.
//! The record never holds its object's address in a scanned word (that would keep the object
//! alive forever); `Cleanup` handles keep it hidden.
//!
//! A record is named by its *data* word: its address, with bit 0 set when its body held no
//! word pointing at a live heap object at registration. The body is immutable from then on
//! (the function and argument were moved in; nothing else can reach them), so such a record
//! never needs scanning: marking and the queue's root scan skip it without touching it (W6:
//! a million records of a capture-less closure and an integer argument cost ~10 ms of
//! marking per collection before).

use std::mem::{offset_of, size_of, ManuallyDrop};
use std::ptr;
use tricolor_gc::Tracer;
use tricolor_runtime::NoPreempt;

/// What every record starts with.
#[repr(C)]
pub(crate) struct Header {
    /// Unique for the life of the process (`Cleanup::stop` matches on it, so a record of a
    /// later object at a reused address is never confused with ours).
    pub(crate) id: u64,
    run: unsafe fn(*mut Header, NoPreempt),
    discard: unsafe fn(*mut Header),
    body_off: u32,
    body_len: u32,
}

#[repr(C)]
struct Record<F, A> {
    hdr: Header,
    f: ManuallyDrop<F>,
    arg: ManuallyDrop<A>,
}

/// Where the parts of a new record's body are (for the misuse checks and `Owned`).
pub(crate) struct Parts {
    pub(crate) rec: *mut Header,
    pub(crate) f: (usize, usize),
    pub(crate) arg: (usize, usize),
}

/// Boxes `f` and `arg` into a record.
pub(crate) fn new<F: FnOnce(A) + Send + 'static, A: Send + 'static>(id: u64, f: F, arg: A) -> Parts {
    let body_off = offset_of!(Record<F, A>, f);
    let rec = Box::into_raw(Box::new(Record {
        hdr: Header {
            id,
            run: run::<F, A>,
            discard: discard::<F, A>,
            body_off: body_off as u32,
            body_len: (size_of::<Record<F, A>>() - body_off) as u32,
        },
        f: ManuallyDrop::new(f),
        arg: ManuallyDrop::new(arg),
    }));
    let base = rec as usize;
    Parts {
        rec: rec.cast(),
        f: (base + offset_of!(Record<F, A>, f), size_of::<F>()),
        arg: (base + offset_of!(Record<F, A>, arg), size_of::<A>()),
    }
}

/// The data word for a new record (see the module docs): scans the body once.
pub(crate) fn data(p: &Parts) -> usize {
    let traced = [p.f, p.arg].into_iter().any(|r| {
        // SAFETY: `r` is a part of the record we just initialised.
        unsafe { words(r) }.any(|v| tricolor_gc::raw::object_info(v).is_some())
    });
    p.rec as usize | usize::from(!traced)
}

/// The values of the aligned words of `[addr, addr + len)`, padding and unused enum bytes
/// included (read as the conservative scan reads them, `peek_word`: no undefined behaviour for
/// bytes Rust considers uninitialised).
///
/// # Safety
/// The range is readable memory while the iterator is used.
pub(crate) unsafe fn words((addr, len): (usize, usize)) -> impl Iterator<Item = usize> {
    (addr.next_multiple_of(8)..(addr + len).saturating_sub(7)).step_by(8).map(|w| {
        // SAFETY: an aligned word inside the range the caller vouches for.
        unsafe { tricolor_gc::internals::peek_word(w) }
    })
}

fn header(data: usize) -> *mut Header {
    (data & !1) as *mut Header
}

/// The registration id of the record `data` names.
///
/// # Safety
/// `data` names a live record.
pub(crate) unsafe fn id(data: usize) -> u64 {
    // SAFETY: forwarded; the header is immutable.
    unsafe { (*header(data)).id }
}

/// Runs the cleanup and frees the record. `np` (preemption off since the record left every
/// list the collector scans) is dropped once the function and argument are in this frame,
/// where the goroutine's stack scan finds them: no collection can see the record half-moved.
///
/// # Safety
/// `rec` came from `new`, is on no list, and is run or discarded exactly once.
pub(crate) unsafe fn run_record(data: usize, np: NoPreempt) {
    let rec = header(data);
    // SAFETY: forwarded; `run` was written by `new` for this record's types.
    unsafe { ((*rec).run)(rec, np) }
}

/// Frees the record without running it (`Cleanup::stop`), dropping its function and argument.
///
/// # Safety
/// As for `run_record`.
pub(crate) unsafe fn discard_record(data: usize) {
    let rec = header(data);
    // SAFETY: forwarded.
    unsafe { ((*rec).discard)(rec) }
}

/// Reports the body's words as conservative roots (nothing for a record tagged untraced).
///
/// # Safety
/// `data` names a live record (registered or queued, not yet run or discarded).
pub(crate) unsafe fn trace(data: usize, t: &mut Tracer<'_>) {
    if data & 1 != 0 {
        return;
    }
    let rec = header(data);
    // SAFETY: live record: its header is initialised and immutable.
    let (off, len) = unsafe { ((*rec).body_off as usize, (*rec).body_len as usize) };
    if len != 0 {
        // SAFETY: the body lies inside the record's allocation, alive for this call.
        unsafe { t.conservative(rec as usize + off, len) };
    }
}

unsafe fn run<F: FnOnce(A), A>(rec: *mut Header, np: NoPreempt) {
    // SAFETY: `rec` is a `Record<F, A>` from `Box::into_raw` (the header is its first field);
    // its fields are read once and the allocation freed without dropping them again.
    let (f, arg) = unsafe {
        let r = rec.cast::<Record<F, A>>();
        let f = ManuallyDrop::into_inner(ptr::read(&(*r).f));
        let arg = ManuallyDrop::into_inner(ptr::read(&(*r).arg));
        drop(Box::from_raw(r));
        (f, arg)
    };
    drop(np);
    f(arg);
}

unsafe fn discard<F, A>(rec: *mut Header) {
    // SAFETY: as in `run`; dropping the box drops the header only (the fields are
    // `ManuallyDrop`), so the fields are dropped here exactly once.
    unsafe {
        let mut b = Box::from_raw(rec.cast::<Record<F, A>>());
        ManuallyDrop::drop(&mut b.f);
        ManuallyDrop::drop(&mut b.arg);
    }
}

/// Whether any aligned word of a fresh record's part points into `[lo, hi)`.
pub(crate) fn holds_pointer_into(part: (usize, usize), lo: usize, hi: usize) -> bool {
    // SAFETY: the parts of a record `new` just initialised.
    unsafe { words(part) }.any(|v| (lo..hi).contains(&v))
}
