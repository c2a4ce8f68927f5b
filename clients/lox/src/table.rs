//! clox's hash table (`table.c`) in the Tricolor heap: open addressing with linear probing
//! over an array of entries, each a key word and a value word, grown by building a bigger
//! array and swapping the slot that holds it. Keys are interned strings, hashed by address
//! (interning makes the address the identity; objects never move). Lox never deletes a
//! global, field or method, so there are no tombstones.
//!
//! The entry array is a raw variable-length object (`TypeInfo::var_len`, two value words per
//! element, `Tagging::NAN_BOX`): `raw::alloc_array` hands it out zeroed in one step, and the
//! marker decodes its words from the layout's bitmap, with no trace call per entry — a
//! `GcArray` of `GcValue` pairs cost 8-10% of binary_trees in `GcArray::from_fn` and as much
//! again in per-element trace calls. A zero key word (the number +0, never a key) is an empty
//! entry. The table holds the array as an object value in a `GcValue` slot.
//!
//! Races (Lox goroutines sharing an instance or the globals): every word is read and written
//! atomically and the array is swapped atomically, so a reader sees some value written to the
//! slot (or none) and never a torn word or freed memory; concurrent writers may lose updates
//! (one of two writes to a key, or an insert that raced a resize), as a data race in Go may.

use crate::value::{Value, NIL};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tricolor_gc::{raw, GcValue, Tagging, Trace, TypeInfo};

#[derive(Trace)]
pub struct Table {
    count: AtomicUsize,
    /// The entry array (an object value), or nil before the first insert.
    entries: GcValue<Value>,
}

const EMPTY: u64 = 0;

fn entries_type() -> &'static TypeInfo {
    static TY: OnceLock<&'static TypeInfo> = OnceLock::new();
    TY.get_or_init(|| {
        let entry = TypeInfo::builder("lox::Entry", 16).values(&[0, 8], Tagging::NAN_BOX).build().expect("a valid entry layout");
        TypeInfo::var_len("lox::Table", None, entry).expect("a valid table layout")
    })
}

#[inline(always)]
fn hash(key: Value) -> usize {
    let k = key.0 >> 3;
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize
}

/// An entry array: its payload address.
#[derive(Clone, Copy)]
struct Entries(usize);

impl Entries {
    #[inline(always)]
    fn len(self) -> usize {
        // SAFETY: the first payload word of a var-len object is its length, set at allocation
        // and never changed.
        unsafe { *(self.0 as *const usize) }
    }

    #[inline(always)]
    fn key_offset(i: usize) -> usize {
        8 + 16 * i
    }

    #[inline(always)]
    fn key(self, i: usize) -> u64 {
        // SAFETY: i < len (callers mask with len - 1): a value word of a live entry array
        // (reachable from the table the caller holds).
        unsafe { raw::load_value(self.0, Self::key_offset(i)) }
    }

    #[inline(always)]
    fn value(self, i: usize) -> Value {
        // SAFETY: as `key`; value words hold only words made from `Value`s.
        Value(unsafe { raw::load_value(self.0, Self::key_offset(i) + 8) })
    }

    #[inline(always)]
    fn store(self, i: usize, key: Value, value: Value) {
        // SAFETY: as `key`; the words stored are Lox values (objects alive: the caller holds
        // them). Value first, then key: a reader that finds the key finds a value stored for
        // it (Release stores, Acquire loads).
        unsafe {
            raw::store_value(self.0, Self::key_offset(i) + 8, value.0);
            raw::store_value(self.0, Self::key_offset(i), key.0);
        }
    }

    /// The index of `key`, or of the empty entry where it would go.
    #[inline(always)]
    fn find(self, key: Value) -> usize {
        let mask = self.len() - 1;
        let mut i = hash(key) & mask;
        loop {
            let k = self.key(i);
            if k == key.0 || k == EMPTY {
                return i;
            }
            i = (i + 1) & mask;
        }
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    pub fn new() -> Table {
        Table { count: AtomicUsize::new(0), entries: GcValue::new(NIL) }
    }

    #[inline(always)]
    fn entries(&self) -> Option<Entries> {
        let v = self.entries.get();
        v.is_obj().then(|| Entries(v.addr()))
    }

    #[inline(always)]
    pub fn get(&self, key: Value) -> Option<Value> {
        let e = self.entries()?;
        let i = e.find(key);
        if e.key(i) == EMPTY {
            None
        } else {
            Some(e.value(i))
        }
    }

    /// Sets `key` to `value`; true if the key is new.
    #[inline]
    pub fn set(&self, key: Value, value: Value) -> bool {
        debug_assert!(key.0 != EMPTY);
        let count = self.count.load(Ordering::Relaxed);
        let e = match self.entries() {
            Some(e) if (count + 1) * 4 <= e.len() * 3 => e,
            old => self.grow(old),
        };
        let i = e.find(key);
        let new = e.key(i) == EMPTY;
        e.store(i, key, value);
        if new {
            self.count.store(count + 1, Ordering::Relaxed);
        }
        new
    }

    #[cold]
    fn grow(&self, old: Option<Entries>) -> Entries {
        let cap = old.map_or(8, |a| a.len() * 2);
        crate::object::tick_public();
        let p = match raw::alloc_array(entries_type(), cap) {
            Ok(p) => p,
            Err(e) => panic!("lox: cannot grow a table to {cap} entries: {e}"),
        };
        // `p` is a local (the stack scan keeps the new array alive) until it is stored.
        let new = Entries(p.as_ptr() as usize);
        if let Some(old) = old {
            for i in 0..old.len() {
                let k = old.key(i);
                if k != EMPTY {
                    let key = Value(k);
                    new.store(new.find(key), key, old.value(i));
                }
            }
        }
        self.entries.set(Value::obj(new.0));
        new
    }

    /// Copies every entry of `from` into `self` (clox's `tableAddAll`, for inheritance).
    pub fn add_all(&self, from: &Table) {
        if let Some(e) = from.entries() {
            for i in 0..e.len() {
                let k = e.key(i);
                if k != EMPTY {
                    self.set(Value(k), e.value(i));
                }
            }
        }
    }
}
