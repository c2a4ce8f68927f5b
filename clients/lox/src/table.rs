//! clox's hash table (`table.c`) in the Tricolor heap: open addressing with linear probing
//! over a `GcArray` of entries, each a key slot and a value slot (`GcValue`, so every store
//! goes through the write barrier), grown by building a bigger array and swapping the
//! `GcCell` that holds it. Keys are interned strings, hashed by address (interning makes the
//! address the identity; objects never move). Lox never deletes a global, field or method, so
//! there are no tombstones: an empty slot's key is nil.
//!
//! Races (Lox goroutines sharing an instance or the globals): every slot is one atomic word
//! and the array is swapped atomically, so a reader sees some value written to the slot (or
//! nil) and never a torn word or freed memory; concurrent writers may lose updates (one of the
//! writes to a key, or an insert that raced a resize, may be lost), as a data race in Go may.

use crate::value::{Value, NIL};
use std::sync::atomic::{AtomicUsize, Ordering};
use tricolor_gc::{GcArray, GcCell, GcValue, Trace};

#[derive(Trace)]
pub struct Entry {
    key: GcValue<Value>,
    value: GcValue<Value>,
}

#[derive(Trace)]
pub struct Table {
    count: AtomicUsize,
    entries: GcCell<Option<GcArray<Entry>>>,
}

#[inline(always)]
fn hash(key: Value) -> usize {
    let k = key.0 >> 3;
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

/// The slot of `key` in `entries`, or the empty slot where it would go.
#[inline(always)]
fn find(entries: &[Entry], key: Value) -> &Entry {
    let mask = entries.len() - 1;
    let mut i = hash(key) & mask;
    loop {
        let e = &entries[i];
        let k = e.key.get();
        if k == key || k == NIL {
            return e;
        }
        i = (i + 1) & mask;
    }
}

fn empty(cap: usize) -> GcArray<Entry> {
    GcArray::from_fn(cap, |_| Entry { key: GcValue::new(NIL), value: GcValue::new(NIL) })
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    pub fn new() -> Table {
        Table { count: AtomicUsize::new(0), entries: GcCell::new(None) }
    }

    #[inline(always)]
    pub fn get(&self, key: Value) -> Option<Value> {
        let entries = self.entries.get()?;
        let e = find(&entries, key);
        if e.key.get() == NIL {
            None
        } else {
            Some(e.value.get())
        }
    }

    /// Sets `key` to `value`; true if the key is new.
    pub fn set(&self, key: Value, value: Value) -> bool {
        let count = self.count.load(Ordering::Relaxed);
        let entries = match self.entries.get() {
            Some(a) if (count + 1) * 4 <= a.len() * 3 => a,
            old => self.grow(old),
        };
        let e = find(&entries, key);
        // Value first, then key: a reader that finds the key finds a value stored for it.
        e.value.set(value);
        if e.key.get() == NIL {
            e.key.set(key);
            self.count.store(count + 1, Ordering::Relaxed);
            true
        } else {
            false
        }
    }

    #[cold]
    fn grow(&self, old: Option<GcArray<Entry>>) -> GcArray<Entry> {
        let cap = old.map_or(8, |a| a.len() * 2);
        crate::object::tick_public();
        let new = empty(cap);
        if let Some(old) = old {
            for e in old.iter() {
                let k = e.key.get();
                if k != NIL {
                    let slot = find(&new, k);
                    slot.value.set(e.value.get());
                    slot.key.set(k);
                }
            }
        }
        self.entries.set(Some(new));
        new
    }

    /// Copies every entry of `from` into `self` (clox's `tableAddAll`, for inheritance).
    pub fn add_all(&self, from: &Table) {
        if let Some(entries) = from.entries.get() {
            for e in entries.iter() {
                let k = e.key.get();
                if k != NIL {
                    self.set(k, e.value.get());
                }
            }
        }
    }
}
