//! Weak handles, the collector's half of weak pointers (reference §9, DESIGN decision 10,
//! seed 002): a handle is a small noscan heap object (the *cell*) holding its referent's
//! address as an integer, so it never keeps the referent alive. It hangs off the referent as a
//! special record (kind 0, registered before every other kind), whose data — the cell — is a
//! root while the referent lives. The sweeper, finding the referent dead, clears the cell
//! before any cleanup of that object can be queued (kinds run in registration order).
//!
//! - `make(addr)`: one cell per (object, interior offset): creation racing with itself, or with
//!   an existing handle, yields the existing cell (`specials::add` under the span's lock).
//! - `upgrade(cell)`: the protocol in `protocol.rs`.
//!
//! The typed API (`weak::Pointer<T>`, interning) is in the `tricolor-weak` crate.

pub(crate) mod protocol;

use crate::collector::collector;
use crate::object::trace::Tracer;
use crate::object::type_info::{Layout, TypeInfo, TypeName};
use crate::specials::{KindId, NotHeap, SpecialKind};
use crate::sync::atomic::{AtomicUsize, Ordering};
use protocol::{Env, Slow};

/// The cell's type: one word, no pointers (the referent is stored as an integer).
static CELL_TYPE: TypeInfo = TypeInfo { name: TypeName::Str("weak handle cell"), size: 8, layout: Layout::NoScan };

/// The special kind of weak handles; registered first by the collector's initialisation.
pub(crate) struct WeakKind;

/// The kind id `WeakKind` gets (the first registered).
pub(crate) const WEAK_KIND: KindId = KindId::FIRST;

impl SpecialKind for WeakKind {
    fn name(&self) -> &'static str {
        "weak handle"
    }
    fn trace(&self, cell: usize, t: &mut Tracer<'_>) {
        // The cell lives while its referent does (and longer if weak pointers hold it).
        t.edge(cell);
    }
    fn on_dead(&self, _object: usize, _interior: usize, cell: usize) {
        // Release pairs with the Acquire loads of the upgrade protocol: once a reader sees 0 it
        // sees nothing of the dead object.
        cell_ref(cell).store(0, Ordering::Release);
    }
}

fn cell_ref(cell: usize) -> &'static AtomicUsize {
    // SAFETY: `cell` is the payload of a live cell object (kept alive by the special while its
    // referent lives, and by the weak pointers that name it): one 8-aligned word.
    unsafe { &*(cell as *const AtomicUsize) }
}

/// Returns the handle cell for `addr` (any address inside a live heap object), creating it if
/// this (object, offset) has none. Equal results for the same (object, offset) while the object
/// lives.
///
/// # Errors
/// `NotHeap::NotAnObject` if `addr` is not inside a live heap object (a stack, a global, freed
/// memory); `NotHeap::NoProc` off a goroutine or inside `blocking(..)`.
///
/// # Panics
/// If the cell cannot be allocated (memory limit), as `Gc::new`.
pub fn make(addr: usize) -> Result<usize, NotHeap> {
    let c = collector();
    let cell = match c.alloc(&CELL_TYPE, 8, true) {
        Ok(cell) => cell,
        Err(crate::heap::AllocError::NoProc(why)) => return Err(NotHeap::NoProc(why)),
        Err(e) => crate::collector::alloc_failed("weak::Pointer::new", &e),
    };
    cell_ref(cell).store(addr, Ordering::Release);
    let (canonical, _) = crate::specials::add(addr, WEAK_KIND, cell, true)?;
    // Registration during marking must re-establish the root invariant at once (invariant 25):
    // the specials root job may already have passed this span.
    if c.phase.marking() {
        HeapEnv.shade(canonical);
    }
    // Keep the referent and our cell reachable from this frame until the special holds them
    // (the window of Go issue 70455).
    std::hint::black_box((addr, cell));
    Ok(canonical)
}

/// The referent's address if it is alive, else 0. Never returns an object the collector has
/// decided is dead; makes the result reachable (shades it) if marking.
#[inline]
pub fn upgrade(cell: usize) -> usize {
    let c = collector();
    let cell = cell_ref(cell);
    let v = match c.weak.upgrade_fast(&c.phase, cell) {
        Some(v) => v,
        None => upgrade_slow(cell),
    };
    if v != 0 && c.debug.poisonfree {
        crate::debug::poison::check_upgrade(v);
    }
    v
}

#[cold]
#[inline(never)]
fn upgrade_slow(cell: &AtomicUsize) -> usize {
    let c = collector();
    loop {
        let np = tricolor_runtime::NoPreempt::new();
        match c.weak.upgrade_slow(&c.phase, cell, &HeapEnv) {
            Slow::Done(v) => return v,
            Slow::Blocked => {
                drop(np);
                // Mark termination is running: let it finish (invariant 8).
                while c.weak.is_blocked() {
                    if tricolor_runtime::hooks::on_goroutine() {
                        tricolor_runtime::yield_now();
                    } else {
                        std::thread::yield_now();
                    }
                }
            }
        }
    }
}

/// The live heap as the slow path sees it.
struct HeapEnv;

impl Env for HeapEnv {
    fn ensure_swept(&self, referent: usize) {
        crate::sweep::ensure_swept_at(&collector().heap, referent);
    }
    fn shade(&self, referent: usize) {
        crate::mark::barrier::shade(referent);
    }
}
