//! Interning (Go's `unique` package) on weak pointers: `Interner<T>` maps equal values to one
//! heap object, handed out as `Interned<T>` handles that compare by pointer. An entry lives
//! while some handle does; when the last handle is gone its object is collected, its weak
//! pointer reads empty, and the entry is dropped at the next lookup in its bucket or the next
//! sweep of the table (when the table has doubled since the last one).
//!
//! The table is guarded by a goroutine-aware mutex: interning may allocate (and so stop the
//! world), and a goroutine waiting for the table must park, not block its thread, or the stop
//! would wait for it forever.
//!
//! Lookups by a borrowed key (`intern_by`, `get`, `intern_str`) hash the key, not a value built
//! from it, so a hit allocates nothing. That is sound only if `T` hashes and compares like the
//! key (`Borrow`'s contract, which `GcStr: Borrow<str>` keeps): entries are found by the hash of
//! their value, whichever of `intern` or `intern_by` made them. A miss checks the contract on
//! the value it builds and panics naming it, rather than splitting one symbol in two.

use crate::{PinnedPointer, Pointer};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, Hash, RandomState};
use tricolor_gc::{Gc, GcHandle, GcPtr, GcStr, Trace, Tracer};
use tricolor_runtime::gsync::Mutex;

/// An interned value: equal values interned in the same `Interner` give `Interned`s that are
/// the same object, so comparison is one pointer compare (and hashing hashes the address).
/// A `GcHandle`: it lives in a `GcCell`, round-trips through a word (`addr`/`from_addr`), and
/// `Weak<Interned<T>>` points at it.
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

    /// The object's payload address. An associated function, not a method, so it does not
    /// hide a method of `T` (`Interned<GcStr>` derefs to a `GcStr`, which has `addr`).
    pub fn addr(this: Self) -> usize {
        this.0.addr()
    }

    /// Rebuilds a handle from its address, e.g. a word a VM keeps in a value slot.
    ///
    /// # Safety
    /// 1. `addr` was obtained from `Interned::<T>::addr` (the same `T`) or `GcPtr::to_word` of
    ///    such a handle — not from an arbitrary `Gc<T>`, whose object is not the canonical one
    ///    and would compare unequal to its interned twin — and
    /// 2. the object is still alive: reachable since, or rooted.
    ///
    /// # Panics
    /// If `addr` is 0 (use `Option<Interned<T>>` for a word that may be 0).
    pub unsafe fn from_addr(addr: usize) -> Interned<T> {
        assert!(addr != 0, "Interned::from_addr(0): a null word is no object (use Option<Interned<T>>)");
        // SAFETY: forwarded contract: the payload address of a live, interned `T`.
        Interned(unsafe { Gc::from_addr(addr) })
    }
}

// SAFETY: the object's payload address (a `Gc`'s, never 0); `from_word` is `from_addr`, whose
// obligations the `GcPtr` contract (a word of the same type, alive) carries.
unsafe impl<T> GcPtr for Interned<T> {
    fn to_word(self) -> usize {
        self.0.addr()
    }
    unsafe fn from_word(w: usize) -> Self {
        // SAFETY: forwarded contract.
        unsafe { Interned::from_addr(w) }
    }
}
// SAFETY: as above: the payload address of the interned object.
unsafe impl<T> GcHandle for Interned<T> {}

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
    /// goroutine. `value` is consumed even when an equal one is found: to look up without
    /// building a value, use `intern_by` (or `intern_str`).
    pub fn intern(&self, value: T) -> Interned<T> {
        let h = self.hasher.hash_one(&value);
        let mut t = self.table.lock();
        match Self::lookup(&mut t, h, &value) {
            Some(g) => Interned(g),
            None => Interned(Self::insert(&mut t, h, value)),
        }
    }

    /// The canonical object for `key`, calling `make(key)` to build the value only if no live
    /// one exists: a hit allocates nothing. `T` must hash and compare like `Q` (`Borrow`'s
    /// contract). Must run on a goroutine. `make` runs with the table locked: it must not use
    /// this `Interner`.
    ///
    /// # Panics
    /// If the value `make` builds does not borrow as an equal key, or hashes differently from
    /// it (a `Borrow` impl that breaks its contract would otherwise split one symbol in two).
    ///
    /// ```
    /// use tricolor_gc::GcStr;
    /// use tricolor_weak::Interner;
    /// tricolor_runtime::block_on(|| {
    ///     let symbols: Interner<GcStr> = Interner::new();
    ///     let a = symbols.intern_by("car", |s| GcStr::new(s));
    ///     let before = tricolor_gc::stats().mallocs;
    ///     let b = symbols.intern_by("car", |s| GcStr::new(s)); // a hit: no allocation
    ///     assert!(a == b && tricolor_gc::stats().mallocs == before);
    ///     assert_eq!(symbols.get("car"), Some(a));
    ///     assert_eq!(symbols.get("cdr"), None);
    /// });
    /// ```
    pub fn intern_by<Q>(&self, key: &Q, make: impl FnOnce(&Q) -> T) -> Interned<T>
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let h = self.hasher.hash_one(key);
        let mut t = self.table.lock();
        if let Some(g) = Self::lookup(&mut t, h, key) {
            return Interned(g);
        }
        let value = make(key);
        assert!(
            value.borrow() == key && self.hasher.hash_one(&value) == h,
            "Interner::intern_by: the value `make` built for a key does not borrow as an equal key with the same hash \
             (`{}: Borrow<{}>` must keep Borrow's contract: equal Eq and Hash)",
            std::any::type_name::<T>(),
            std::any::type_name::<Q>()
        );
        Interned(Self::insert(&mut t, h, value))
    }

    /// The canonical object for `key` if a live one exists; never allocates. Must run on a
    /// goroutine.
    pub fn get<Q>(&self, key: &Q) -> Option<Interned<T>>
    where
        T: Borrow<Q>,
        Q: ?Sized + Hash + Eq,
    {
        let h = self.hasher.hash_one(key);
        let mut t = self.table.lock();
        Self::lookup(&mut t, h, key).map(Interned)
    }

    /// The live entry equal to `key` in bucket `h`, dropping the bucket's dead entries on the
    /// way (an upgrade that reads empty: the entry's last handle is gone).
    fn lookup<Q>(t: &mut Table<T>, h: u64, key: &Q) -> Option<Gc<T>>
    where
        T: Borrow<Q>,
        Q: ?Sized + Eq,
    {
        let bucket = t.buckets.get_mut(&h)?;
        let mut found = None;
        let before = bucket.len();
        bucket.retain(|e| match e.get().upgrade() {
            Some(g) => {
                if found.is_none() && (*g).borrow() == key {
                    found = Some(g);
                }
                true
            }
            None => false,
        });
        t.entries -= before - bucket.len();
        found
    }

    /// Allocates `value` and enters it in bucket `h` (the caller found no live equal entry
    /// there, holding the lock since).
    fn insert(t: &mut Table<T>, h: u64, value: T) -> Gc<T> {
        let g = Gc::new(value);
        t.buckets.entry(h).or_default().push(Pointer::new(&g).pin());
        t.entries += 1;
        if t.entries >= t.prune_at {
            Self::prune(t);
        }
        g
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

impl Interner<GcStr> {
    /// The canonical string for `s`, allocating only if no live one exists (symbol tables):
    /// `intern_by(s, GcStr::new)`. Must run on a goroutine.
    pub fn intern_str(&self, s: &str) -> Interned<GcStr> {
        self.intern_by(s, |s| GcStr::new(s))
    }
}
