//! W3 "alloc": allocation throughput with a small live set, as the peers
//! `peers/go/w3_alloc/main.go` and `peers/bdwgc/w3_alloc.c` run it.
//!
//! `n` allocations of one object size in a loop that keeps only the last 1,000 live: each new
//! object is stored into the next slot of a ring of 1,000 roots, and its first field is set to
//! point at itself. Objects are pointerful (scanned): 16 B = 2 pointers, 64 B = 8, 512 B = 64
//! (payload sizes, as on the peers; Tricolor adds its one-word object header, so the heap
//! slots are larger than the peers' for the same payload).
//!
//! The ring is the peers' global array (Go `[1000]*obj16`, C `void *volatile[1000]`): here a
//! `GcArray` of `GcCell`s that the running goroutine holds on its stack, a real root read at
//! the end (`check_ring`). The self-pointer store is a `GcCell::set` (Go's write barrier check).
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::time::{Duration, Instant};
use tricolor_gc::{Gc, GcArray, GcCell, Trace};

/// Roots in a ring.
pub const RING: usize = 1_000;

/// Untimed allocations before each size's measured loop.
pub const WARMUP: u64 = 1_000_000;

/// Allocations per size in the workload definition.
pub const N: u64 = 100_000_000;

/// Allocations per size for `--quick` (the peers' too).
pub const QUICK_N: u64 = 10_000_000;

/// An object the alloc loop can make: zeroed apart from its self-pointer slot.
pub trait Obj: Trace + Sized + 'static {
    /// A fresh object with every pointer `None`.
    fn new() -> Self;
    /// The first field, which the loop points at the object itself.
    fn self_slot(&self) -> &GcCell<Option<Gc<Self>>>;
}

/// 16 bytes: two pointers (Go `struct{ self, b *obj16 }`).
#[derive(Trace, Debug)]
pub struct Obj16 {
    this: GcCell<Option<Gc<Obj16>>>,
    b: Option<Gc<Obj16>>,
}

/// 64 bytes: eight pointers.
#[derive(Trace, Debug)]
pub struct Obj64 {
    this: GcCell<Option<Gc<Obj64>>>,
    p: [Option<Gc<Obj64>>; 7],
}

/// 512 bytes: 64 pointers.
#[derive(Trace, Debug)]
pub struct Obj512 {
    this: GcCell<Option<Gc<Obj512>>>,
    p: [Option<Gc<Obj512>>; 63],
}

const _: () = {
    assert!(std::mem::size_of::<Obj16>() == 16);
    assert!(std::mem::size_of::<Obj64>() == 64);
    assert!(std::mem::size_of::<Obj512>() == 512);
};

impl Obj for Obj16 {
    #[inline]
    fn new() -> Self {
        Obj16 { this: GcCell::new(None), b: None }
    }
    #[inline]
    fn self_slot(&self) -> &GcCell<Option<Gc<Self>>> {
        &self.this
    }
}

impl Obj for Obj64 {
    #[inline]
    fn new() -> Self {
        Obj64 { this: GcCell::new(None), p: [None; 7] }
    }
    #[inline]
    fn self_slot(&self) -> &GcCell<Option<Gc<Self>>> {
        &self.this
    }
}

impl Obj for Obj512 {
    #[inline]
    fn new() -> Self {
        Obj512 { this: GcCell::new(None), p: [None; 63] }
    }
    #[inline]
    fn self_slot(&self) -> &GcCell<Option<Gc<Self>>> {
        &self.this
    }
}

/// A ring of roots: keep it on the goroutine's stack (or in a `Root`) while it is used.
pub type Ring<T> = GcArray<GcCell<Option<Gc<T>>>>;

/// A ring of `RING` empty slots.
pub fn new_ring<T: Obj>() -> Ring<T> {
    GcArray::from_fn(RING, |_| GcCell::new(None))
}

/// `n` allocations of `T` into `ring`; returns the elapsed time (loop, self-pointer store,
/// root store and any collection the loop triggers included).
#[inline(never)]
pub fn alloc_loop<T: Obj>(ring: Ring<T>, n: u64) -> Duration {
    let slots: &[GcCell<Option<Gc<T>>>] = &ring;
    assert_eq!(slots.len(), RING);
    let start = Instant::now();
    let mut j = 0;
    for _ in 0..n {
        let o = Gc::new(T::new());
        o.self_slot().set(Some(o));
        slots[j].set(Some(o));
        j += 1;
        if j == RING {
            j = 0;
        }
    }
    let elapsed = start.elapsed();
    std::hint::black_box(ring);
    elapsed
}

/// Every slot must hold an object whose self-pointer points at it.
pub fn check_ring<T: Obj>(ring: Ring<T>, name: &str) {
    for (j, slot) in ring.iter().enumerate() {
        match slot.get() {
            Some(o) if o.self_slot().get() == Some(o) => {}
            _ => panic!("w3: {name} ring slot {j} lost its object"),
        }
    }
}
