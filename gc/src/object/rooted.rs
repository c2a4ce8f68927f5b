//! `Rooted<T>` and `RootedVec<T>`: `Trace` values in Rust memory that the collector treats as
//! roots — a VM's registers, its value stack, its globals — without `unsafe`, root scanners or
//! `unsafe impl Sync` at the call site (issue 12 item 6, ARCHITECTURE decision 49). The handle
//! registry they join lives in `root.rs`; the barrier primitive they call, `shade_root`, in
//! `mark/barrier.rs`.
//!
//! # Protocol
//! The contents sit in a heap box (`RootBox`: a lock and the value) whose address is
//! registered. The owner reads through `&self` without the lock; it changes the contents only
//! through `&mut self` methods, each holding the box's lock (an `NpMutex`: a no-preempt
//! section). A marker on another thread reads the contents only under the same lock.
//!
//! 1. Creation: the box is registered with its trace function (`Roots::handles`, a per-P shard),
//!    then, still in one no-preempt section, its initial contents are shaded if marking is on.
//!    The box is freed only after step 4 unregistered it.
//! 2. Scan (the handles' root job, concurrent; also the stop-the-world and checkmark marks):
//!    under the shard's lock, the box's lock is taken and `Trace::trace` reports the contents.
//! 3. Mutation (`push`, `pop`, `set`, `truncate`, ...): under the box's lock, the values leaving
//!    the root (deletion) and the values entering it (insertion) are shaded if marking is on,
//!    then the store is made. The lock's no-preempt section holds the phase still between the
//!    check and the store (invariant 3); the lock orders the store against step 2, so a value
//!    is either in the contents when the scan reads them, or shaded (or both).
//! 4. Drop: in one no-preempt section, the contents are shaded if marking is on and the box is
//!    unregistered; the contents are dropped afterwards, outside every lock (a user `Drop` may
//!    do anything).
//!
//! Invariant kept (reference §3.1, invariants 2 and 6): while marking, no value leaves or
//! enters a rooted container unseen — a value a goroutine copied out before its stack was
//! scanned, then removed from a container not scanned yet, is grey; a value moved in from a
//! stack not scanned yet, into a container scanned already, is grey. So no stack is rescanned
//! and the container is scanned once per cycle. Lock order: shard, then box, then the P's mark
//! state or the orphan worker; the owner takes the box's lock alone, and drops of user values
//! happen with no lock held, so nothing waits in a cycle.

use crate::object::root::RootEntry;
use crate::object::trace::{Trace, Tracer};
use std::cell::UnsafeCell;
use std::fmt;
use tricolor_runtime::hooks::NpMutex;
use tricolor_runtime::registry::Ticket;

/// What a box holds: one value or a vector of them.
trait Contents {
    fn trace_contents(&self, t: &mut Tracer<'_>);
}

/// `Rooted`'s contents.
struct One<T>(T);

impl<T: Trace> Contents for One<T> {
    fn trace_contents(&self, t: &mut Tracer<'_>) {
        self.0.trace(t)
    }
}

impl<T: Trace> Contents for Vec<T> {
    fn trace_contents(&self, t: &mut Tracer<'_>) {
        if !T::NO_TRACE {
            for v in self {
                v.trace(t)
            }
        }
    }
}

/// The registered memory: see the module docs.
struct RootBox<S> {
    /// Held by the owner while it changes `value` (step 3) and by a scanner while it reads it
    /// (step 2).
    lock: NpMutex<()>,
    /// Written only under `lock` through the owner's `&mut` handle; read by the owner without
    /// the lock (no writer can run then: it would need `&mut`) and by scanners under it.
    value: UnsafeCell<S>,
}

/// Step 2: traces the box at `p` under its lock.
///
/// # Safety
/// `p` points at a live, registered `RootBox<S>` (the caller holds the shard lock that
/// unregistering needs).
unsafe fn trace_box<S: Contents>(p: *const (), t: &mut Tracer<'_>) {
    // SAFETY: the caller's obligation.
    let b = unsafe { &*p.cast::<RootBox<S>>() };
    let _g = b.lock.lock();
    // Reads may overlap the owner's reads. `Trace::trace` reads only pointer fields, which are
    // immutable or atomic (`GcCell`) — the same reads a marker makes of a heap object of the
    // type on any thread (`Trace` safety item 3), so `T: Sync` is not needed for them.
    // SAFETY: the box's lock, held, excludes the owner's writes (protocol step 3).
    unsafe { &*b.value.get() }.trace_contents(t)
}

/// A registered box and its ticket: the machinery both handle types share.
struct Registered<S: Contents> {
    b: Box<RootBox<S>>,
    ticket: Ticket,
}

impl<S: Contents> Registered<S> {
    /// Step 1.
    fn new(v: S) -> Registered<S> {
        let b = Box::new(RootBox { lock: NpMutex::new(()), value: UnsafeCell::new(v) });
        let entry = RootEntry::Traced { data: (&*b as *const RootBox<S>).cast(), trace: trace_box::<S> };
        let np = tricolor_runtime::NoPreempt::new();
        let ticket = crate::collector::collector().roots.handles.register(&np, entry);
        let r = Registered { b, ticket };
        crate::mark::barrier::shade_root(|t| r.read().trace_contents(t));
        r
    }

    /// The contents, for the owner.
    #[inline]
    fn read(&self) -> &S {
        // SAFETY: writes happen only in `write`, which needs `&mut self`; so none runs while
        // this borrow lives, and a scanner only reads.
        unsafe { &*self.b.value.get() }
    }

    /// Step 3: `f` with the contents under the box's lock. `f` shades what it removes and
    /// adds (`shade`) and must not allocate from the heap, park, or drop user values (return
    /// them instead).
    #[inline]
    fn write<R>(&mut self, f: impl FnOnce(&mut S) -> R) -> R {
        let _g = self.b.lock.lock();
        // SAFETY: we hold the lock (no scanner reads) and `&mut self` (no owner borrow).
        f(unsafe { &mut *self.b.value.get() })
    }

    /// Step 4's first half (the contents are dropped with the box, after it).
    fn unregister(&mut self) {
        let np = tricolor_runtime::NoPreempt::new();
        crate::mark::barrier::shade_root(|t| self.read().trace_contents(t));
        crate::collector::collector().roots.handles.unregister(&np, self.ticket);
    }
}

impl<S: Contents> Drop for Registered<S> {
    fn drop(&mut self) {
        self.unregister();
    }
}

/// Shades `v` if marking is on (step 3; `T::NO_TRACE` types cost nothing).
#[inline]
fn shade<T: Trace>(v: &T) {
    if !T::NO_TRACE {
        crate::mark::barrier::shade_root(|t| v.trace(t));
    }
}

/// Shades every element of `vs` if marking is on.
#[inline]
fn shade_all<T: Trace>(vs: &[T]) {
    if !T::NO_TRACE && !vs.is_empty() {
        crate::mark::barrier::shade_root(|t| vs.iter().for_each(|v| v.trace(t)));
    }
}

/// A `Trace` value in Rust memory that keeps everything it points to alive while the handle
/// lives — a VM's accumulator, a struct of `Gc` fields, a tagged value — on any thread.
/// `Root<T>` is the lighter handle for one `Gc`.
///
/// Reads (`Deref`) cost what a `&T` costs. `set` takes a per-root lock and, while the collector
/// marks, shades the old and new values (the write barrier of root memory). There is no
/// `DerefMut`: a store through `&mut T` would skip that barrier.
///
/// ```
/// use tricolor_gc::{Gc, Rooted, Trace};
/// #[derive(Trace)]
/// struct Frame { closure: Gc<u64>, slot: Option<Gc<u64>> }
/// tricolor_runtime::block_on(|| {
///     let mut f = Rooted::new(Frame { closure: Gc::new(1), slot: None });
///     f.set(Frame { closure: f.closure, slot: Some(Gc::new(2)) });
///     tricolor_gc::collect();
///     assert_eq!((*f.closure, *f.slot.unwrap()), (1, 2));
/// });
/// ```
pub struct Rooted<T: Trace> {
    r: Registered<One<T>>,
}

// SAFETY: the handle owns a `T` (moving it moves the `T`); the box is reached from other
// threads only by scanners, which read pointer fields under the lock (see `trace_box`).
unsafe impl<T: Trace + Send> Send for Rooted<T> {}
// SAFETY: `&Rooted<T>` hands out only `&T`.
unsafe impl<T: Trace + Sync> Sync for Rooted<T> {}

impl<T: Trace> Rooted<T> {
    /// Roots `v` until the handle is dropped. Any thread.
    pub fn new(v: T) -> Rooted<T> {
        Rooted { r: Registered::new(One(v)) }
    }

    /// The rooted value (also through `Deref`).
    #[inline]
    pub fn get(&self) -> &T {
        &self.r.read().0
    }

    /// Replaces the value, returning the old one (no longer rooted by this handle).
    pub fn replace(&mut self, v: T) -> T {
        self.r.write(|s| {
            shade(&s.0);
            shade(&v);
            std::mem::replace(&mut s.0, v)
        })
    }

    /// Stores `v` (through the barrier; the old value is dropped after the lock is released).
    pub fn set(&mut self, v: T) {
        drop(self.replace(v));
    }

    /// Unroots the value and returns it.
    pub fn into_inner(self) -> T {
        let mut this = std::mem::ManuallyDrop::new(self);
        this.r.unregister();
        // SAFETY: `this` is never used or dropped again, so the box is moved out exactly
        // once; it is unregistered, so no scanner can reach it.
        let b = unsafe { std::ptr::read(&this.r.b) };
        b.value.into_inner().0
    }
}

impl<T: Trace> std::ops::Deref for Rooted<T> {
    type Target = T;
    #[inline]
    fn deref(&self) -> &T {
        self.get()
    }
}

impl<T: Trace + fmt::Debug> fmt::Debug for Rooted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Rooted").field(self.get()).finish()
    }
}

impl<T: Trace + Clone> Clone for Rooted<T> {
    fn clone(&self) -> Self {
        Rooted::new(self.get().clone())
    }
}

/// A growable vector of `Trace` values in Rust memory whose contents the collector sees at
/// every cycle — a VM's value stack, its globals table — safe to use from a goroutine that
/// pushes and pops while collections run on others (the safe form of a per-goroutine
/// value-stack root scanner).
///
/// Reads (`Deref` to `[T]`: indexing, `len`, `iter`, `last`) cost what slice reads cost.
/// Changes take the vector's own lock (uncontended but for the one moment per cycle a marker
/// scans it) and, while the collector marks, shade the values they remove and add. There is no
/// `DerefMut` or `IndexMut`: a store through `&mut T` would skip that barrier; use `set`.
///
/// ```
/// use tricolor_gc::{Gc, RootedVec};
/// tricolor_runtime::block_on(|| {
///     let mut stack: RootedVec<Gc<u64>> = RootedVec::new();
///     stack.push(Gc::new(1));
///     stack.push(Gc::new(2));
///     tricolor_gc::collect();
///     let top = stack.pop().unwrap();
///     stack.set(0, top);
///     assert_eq!((stack.len(), *stack[0]), (1, 2));
/// });
/// ```
pub struct RootedVec<T: Trace> {
    r: Registered<Vec<T>>,
}

// SAFETY: as for `Rooted`: the handle owns its `T`s; other threads only scan them.
unsafe impl<T: Trace + Send> Send for RootedVec<T> {}
// SAFETY: `&RootedVec<T>` hands out only `&T`s.
unsafe impl<T: Trace + Sync> Sync for RootedVec<T> {}

impl<T: Trace> RootedVec<T> {
    /// An empty rooted vector. Any thread.
    pub fn new() -> RootedVec<T> {
        Self::with_capacity(0)
    }

    /// An empty rooted vector with room for `n` values before it reallocates.
    pub fn with_capacity(n: usize) -> RootedVec<T> {
        RootedVec { r: Registered::new(Vec::with_capacity(n)) }
    }

    /// The values, as a slice (also through `Deref`).
    #[inline]
    pub fn as_slice(&self) -> &[T] {
        self.r.read()
    }

    /// Values it can hold without reallocating.
    pub fn capacity(&self) -> usize {
        self.r.read().capacity()
    }

    /// Reserves room for `n` more values.
    pub fn reserve(&mut self, n: usize) {
        self.r.write(|v| v.reserve(n))
    }

    /// Appends `v`.
    #[inline]
    pub fn push(&mut self, v: T) {
        self.r.write(|s| {
            shade(&v);
            s.push(v)
        })
    }

    /// Removes and returns the last value.
    #[inline]
    pub fn pop(&mut self) -> Option<T> {
        self.r.write(|s| {
            let v = s.pop();
            if let Some(v) = &v {
                shade(v);
            }
            v
        })
    }

    /// Replaces the value at `i`, returning the old one.
    ///
    /// # Panics
    /// If `i >= len()`.
    #[inline]
    pub fn replace(&mut self, i: usize, v: T) -> T {
        self.r.write(|s| {
            let len = s.len();
            let Some(slot) = s.get_mut(i) else {
                panic!("RootedVec::set/replace: index {i} out of bounds (len {len})");
            };
            shade(&*slot);
            shade(&v);
            std::mem::replace(slot, v)
        })
    }

    /// Stores `v` at `i` (the old value is dropped after the lock is released).
    ///
    /// # Panics
    /// If `i >= len()`.
    #[inline]
    pub fn set(&mut self, i: usize, v: T) {
        drop(self.replace(i, v));
    }

    /// Inserts `v` at `i`, shifting the later values up.
    ///
    /// # Panics
    /// If `i > len()`.
    pub fn insert(&mut self, i: usize, v: T) {
        self.r.write(|s| {
            let len = s.len();
            if i > len {
                panic!("RootedVec::insert: index {i} out of bounds (len {len})");
            }
            shade(&v);
            s.insert(i, v)
        })
    }

    /// Removes and returns the value at `i`, shifting the later values down.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn remove(&mut self, i: usize) -> T {
        self.r.write(|s| {
            let len = s.len();
            if i >= len {
                panic!("RootedVec::remove: index {i} out of bounds (len {len})");
            }
            let v = s.remove(i);
            shade(&v);
            v
        })
    }

    /// Swaps the values at `i` and `j` (no value leaves the vector: no barrier).
    ///
    /// # Panics
    /// If either index is out of bounds.
    pub fn swap(&mut self, i: usize, j: usize) {
        self.r.write(|s| {
            let len = s.len();
            if i >= len || j >= len {
                panic!("RootedVec::swap: index {} out of bounds (len {len})", i.max(j));
            }
            s.swap(i, j)
        })
    }

    /// Shortens the vector to `len` values (a no-op if it is not longer); the removed values
    /// are dropped after the lock is released.
    pub fn truncate(&mut self, len: usize) {
        let tail = self.r.write(|s| {
            if len >= s.len() {
                return Vec::new();
            }
            shade_all(&s[len..]);
            s.split_off(len)
        });
        drop(tail);
    }

    /// Removes every value.
    pub fn clear(&mut self) {
        self.truncate(0)
    }

    /// Removes the values from `at` on and returns them, in order, in a new `RootedVec` (so
    /// they stay rooted throughout: on a goroutine, both stores happen in one no-preempt
    /// section, and each shades what it moves while marking).
    ///
    /// # Panics
    /// If `at > len()`.
    pub fn split_off(&mut self, at: usize) -> RootedVec<T> {
        let len = self.len();
        if at > len {
            panic!("RootedVec::split_off: index {at} out of bounds (len {len})");
        }
        let mut tail = RootedVec::new();
        let _np = tricolor_runtime::NoPreempt::new();
        let moved = self.r.write(|s| {
            shade_all(&s[at..]);
            s.split_off(at)
        });
        tail.r.write(|s| {
            shade_all(&moved);
            *s = moved
        });
        tail
    }

    /// Appends clones of `vs`.
    pub fn extend_from_slice(&mut self, vs: &[T])
    where
        T: Clone,
    {
        self.r.write(|s| {
            shade_all(vs);
            s.extend_from_slice(vs)
        })
    }
}

impl<T: Trace> Default for RootedVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Trace> std::ops::Deref for RootedVec<T> {
    type Target = [T];
    #[inline]
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Trace> Extend<T> for RootedVec<T> {
    fn extend<I: IntoIterator<Item = T>>(&mut self, iter: I) {
        // One value at a time: the iterator is user code, run outside the lock.
        for v in iter {
            self.push(v)
        }
    }
}

impl<T: Trace> FromIterator<T> for RootedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut v = RootedVec::new();
        v.extend(iter);
        v
    }
}

impl<'a, T: Trace> IntoIterator for &'a RootedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl<T: Trace + fmt::Debug> fmt::Debug for RootedVec<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

impl<T: Trace + Clone> Clone for RootedVec<T> {
    fn clone(&self) -> Self {
        let mut v = RootedVec::with_capacity(self.len());
        v.extend_from_slice(self);
        v
    }
}
