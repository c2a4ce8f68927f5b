//! Interning (Go's `unique` package) on weak pointers: `Interner<T>` maps equal values to one
//! heap object, handed out as `Interned<T>` handles that compare by pointer. An entry lives
//! while some handle does; when the last handle is gone its object is collected, its weak
//! pointer reads empty, and the entry is dropped at the next lookup in its bucket or the next
//! sweep of the table (when the table has doubled since the last one).
//!
//! The table is guarded by a goroutine-aware mutex: interning may allocate (and so stop the
//! world), and a goroutine waiting for the table must park, not block its thread, or the stop
//! would wait for it forever.

use crate::{PinnedPointer, Pointer};
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use tricolor_gc::{Gc, Trace, Tracer};
use tricolor_runtime::gsync::Mutex;

/// An interned value: equal values interned in the same `Interner` give `Interned`s that are
/// the same object, so comparison is one pointer compare.
pub struct Interned<T>(Gc<T>);

impl<T> Clone for Interned<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Interned<T> {}

impl<T> PartialEq for Interned<T> {
    fn eq(&self, o: &Self) -> bool {
        Gc::ptr_eq(self.0, o.0)
    }
}
impl<T> Eq for Interned<T> {}

impl<T> std::hash::Hash for Interned<T> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.addr().hash(h)
    }
}

impl<T> std::ops::Deref for Interned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        let g: &Gc<T> = &self.0;
        g
    }
}

impl<T: fmt::Debug> fmt::Debug for Interned<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interned({:?})", &**self)
    }
}

impl<T> Interned<T> {
    /// The underlying object.
    pub fn gc(self) -> Gc<T> {
        self.0
    }
}

// SAFETY: reports the object.
unsafe impl<T: Trace> Trace for Interned<T> {
    fn trace(&self, t: &mut Tracer<'_>) {
        self.0.trace(t)
    }
}

struct Table<T> {
    buckets: HashMap<u64, Vec<PinnedPointer<T>>>,
    entries: usize,
    prune_at: usize,
}

/// A table of interned values of type `T`.
///
/// ```
/// use tricolor_weak::Interner;
/// tricolor_runtime::block_on(|| {
///     let symbols: Interner<u64> = Interner::new();
///     let a = symbols.intern(7);
///     let b = symbols.intern(7);
///     assert!(a == b);
///     assert_eq!(*a, 7);
/// });
/// ```
pub struct Interner<T> {
    table: Mutex<Table<T>>,
    hasher: RandomState,
}

impl<T> fmt::Debug for Interner<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interner").finish_non_exhaustive()
    }
}

impl<T: Trace + Hash + Eq + Sync> Default for Interner<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Trace + Hash + Eq + Sync> Interner<T> {
    /// An empty table.
    pub fn new() -> Interner<T> {
        Interner { table: Mutex::new(Table { buckets: HashMap::new(), entries: 0, prune_at: 64 }), hasher: RandomState::new() }
    }

    /// The canonical object for `value`, allocating it if no live one exists. Must run on a
    /// goroutine.
    pub fn intern(&self, value: T) -> Interned<T> {
        let h = self.hasher.hash_one(&value);
        let mut t = self.table.lock();
        let bucket = t.buckets.entry(h).or_default();
        let mut found = None;
        let before = bucket.len();
        bucket.retain(|e| match e.get().upgrade() {
            Some(g) => {
                if found.is_none() && *g == value {
                    found = Some(g);
                }
                true
            }
            None => false,
        });
        let removed = before - bucket.len();
        if let Some(g) = found {
            t.entries -= removed;
            return Interned(g);
        }
        let g = Gc::new(value);
        let bucket = t.buckets.entry(h).or_default();
        bucket.push(Pointer::new(&g).pin());
        t.entries = t.entries + 1 - removed;
        if t.entries >= t.prune_at {
            Self::prune(&mut t);
        }
        Interned(g)
    }

    fn prune(t: &mut Table<T>) {
        let mut n = 0;
        t.buckets.retain(|_, b| {
            b.retain(|e| e.get().upgrade().is_some());
            n += b.len();
            !b.is_empty()
        });
        t.entries = n;
        t.prune_at = (n * 2).max(64);
    }

    /// Live entries (after dropping the dead ones). Must run on a goroutine.
    pub fn len(&self) -> usize {
        let mut t = self.table.lock();
        Self::prune(&mut t);
        t.entries
    }

    /// Whether no live entry exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
