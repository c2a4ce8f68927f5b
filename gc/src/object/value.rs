//! VM values: words that are sometimes heap pointers. A dynamically typed VM packs a value in
//! one word — a low-bit tag (`ptr | 1`), NaN boxing (clox: a quiet NaN with the sign bit set
//! carries a 48-bit address), or a plain pointer. `Tagging` describes the encoding once, as
//! three masks; the marker, the write barrier and the conservative checks decode through it.
//!
//! - `GcValue<V>`: a mutable value slot inside a heap object, atomic for readers on other
//!   goroutines, through the barrier, as cheap as `GcCell::set` (the decode runs only on the
//!   barrier's slow path and in the marker).
//! - Raw layouts name their value words and their tagging (`TypeInfo::builder`).
//! - Values on goroutine stacks are found by the conservative scan. A tagging whose pointer
//!   words lie outside the heap's address range (NaN boxing) must be registered
//!   (`Tagging::register`) before such values exist: the stack scan then decodes words outside
//!   the heap through every registered tagging. Low-bit taggings need nothing: `ptr | tag`
//!   stays inside the object, an interior pointer the scan resolves anyway.

use crate::object::trace::{Trace, Tracer};
use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use crate::sync::Mutex;
use std::fmt;
use std::marker::PhantomData;

/// How a value word encodes a heap pointer: the word is a pointer iff
/// `word & ptr_mask == ptr_tag`, and then its address is `word & addr_mask` (0 means none).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tagging {
    ptr_mask: u64,
    ptr_tag: u64,
    addr_mask: u64,
}

impl fmt::Debug for Tagging {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tagging {{ ptr_mask: {:#x}, ptr_tag: {:#x}, addr_mask: {:#x} }}", self.ptr_mask, self.ptr_tag, self.addr_mask)
    }
}

/// clox's NaN boxing: a quiet NaN (`0x7ffc_0000_0000_0000`) plus the sign bit marks an object.
const NAN_BOX_PTR: u64 = 0x8000_0000_0000_0000 | 0x7ffc_0000_0000_0000;

impl Tagging {
    /// Every word is a pointer or 0 (a `GcCell`'s encoding).
    pub const UNTAGGED: Tagging = Tagging { ptr_mask: 0, ptr_tag: 0, addr_mask: u64::MAX };

    /// NaN boxing as clox does it: numbers are `f64` bits; a pointer is
    /// `0xfffc_0000_0000_0000 | address` (quiet NaN and sign bit set, 48-bit address below).
    pub const NAN_BOX: Tagging = Tagging { ptr_mask: NAN_BOX_PTR, ptr_tag: NAN_BOX_PTR, addr_mask: !NAN_BOX_PTR };

    /// An encoding from its masks: a word is a pointer iff `word & ptr_mask == ptr_tag`, its
    /// address is `word & addr_mask`.
    ///
    /// # Panics
    /// If `ptr_tag` has bits outside `ptr_mask`, or the masks overlap (then `encode` could not
    /// be inverted), or `addr_mask` drops any of the address bits 3..48 (heap addresses are
    /// 8-aligned and below 2^48).
    pub const fn new(ptr_mask: u64, ptr_tag: u64, addr_mask: u64) -> Tagging {
        assert!(ptr_tag & !ptr_mask == 0, "Tagging::new: ptr_tag has bits outside ptr_mask");
        assert!(ptr_mask & addr_mask == 0, "Tagging::new: ptr_mask and addr_mask overlap");
        assert!(addr_mask & 0x0000_ffff_ffff_fff8 == 0x0000_ffff_ffff_fff8, "Tagging::new: addr_mask must keep address bits 3..48");
        Tagging { ptr_mask, ptr_tag, addr_mask }
    }

    /// Low-bit tagging: a word is a pointer iff its low `bits` bits equal `tag`; the address is
    /// the word with those bits cleared. `bits` is 1..=3 (heap addresses are 8-aligned).
    ///
    /// # Panics
    /// If `bits` is not 1..=3 or `tag` does not fit in `bits` bits.
    pub const fn low_bits(bits: u32, tag: u64) -> Tagging {
        assert!(bits >= 1 && bits <= 3, "Tagging::low_bits: bits must be 1..=3 (heap addresses are 8-aligned)");
        let mask = (1u64 << bits) - 1;
        assert!(tag & !mask == 0, "Tagging::low_bits: the tag does not fit in the low bits");
        Tagging::new(mask, tag, !mask)
    }

    /// The address `word` points at, or `None` for a non-pointer (or null) word.
    #[inline(always)]
    pub const fn decode(self, word: u64) -> Option<usize> {
        if word & self.ptr_mask != self.ptr_tag {
            return None;
        }
        let a = word & self.addr_mask;
        if a == 0 {
            None
        } else {
            Some(a as usize)
        }
    }

    /// The word that encodes a pointer to `addr` (a heap address).
    #[inline(always)]
    pub const fn encode(self, addr: usize) -> u64 {
        (addr as u64 & self.addr_mask) | self.ptr_tag
    }

    /// Whether an encoded pointer can fall outside the heap's address range, so that the
    /// conservative stack scan needs this tagging registered to decode it.
    pub const fn needs_registration(self) -> bool {
        // Tag bits at or above bit 3 move the word away from the object it points at.
        self.ptr_tag & !7 != 0 || self.addr_mask & !7 != !7
    }

    /// Makes the conservative scans (goroutine stacks, registers, spawn packets) decode words
    /// outside the heap through this tagging. Idempotent; at most `MAX_TAGGINGS` taggings may
    /// be registered in one process. A no-op for taggings that do not need it.
    ///
    /// # Panics
    /// If `MAX_TAGGINGS` other taggings are registered already.
    pub fn register(self) {
        if self.needs_registration() {
            registry_add(self);
        }
    }

    /// Whether `register` has been called for this tagging (always true for taggings that do
    /// not need it).
    pub fn is_registered(self) -> bool {
        !self.needs_registration() || registry_find(self)
    }
}

// --- the registry of taggings the conservative scan decodes ----------------------------------

/// How many taggings one process may register.
pub const MAX_TAGGINGS: usize = 4;

/// Registered taggings (held by the collector): each entry written once, under `lock`, then
/// published by `len`.
pub(crate) struct Taggings {
    words: [[AtomicU64; 3]; MAX_TAGGINGS],
    /// Entries published. Release on the store after an entry's words; Acquire on the load, so
    /// a reader that sees `n` sees the first `n` entries' words.
    len: AtomicUsize,
    lock: Mutex<()>,
}

impl Default for Taggings {
    fn default() -> Taggings {
        Taggings {
            words: std::array::from_fn(|_| std::array::from_fn(|_| AtomicU64::new(0))),
            len: AtomicUsize::new(0),
            lock: Mutex::new(()),
        }
    }
}

impl Taggings {
    fn entry(&self, i: usize) -> Tagging {
        let w = &self.words[i];
        // Relaxed: ordered by the Acquire load of `len` that covered entry i.
        Tagging { ptr_mask: w[0].load(Ordering::Relaxed), ptr_tag: w[1].load(Ordering::Relaxed), addr_mask: w[2].load(Ordering::Relaxed) }
    }

    fn find(&self, t: Tagging) -> bool {
        (0..self.len.load(Ordering::Acquire)).any(|i| self.entry(i) == t)
    }

    fn add(&self, t: Tagging) {
        let _g = self.lock.lock();
        if self.find(t) {
            return;
        }
        // Relaxed: `lock` orders the writers.
        let n = self.len.load(Ordering::Relaxed);
        if n == MAX_TAGGINGS {
            panic!("Tagging::register({t:?}): {MAX_TAGGINGS} taggings are registered already, the most one process may have");
        }
        for (slot, v) in self.words[n].iter().zip([t.ptr_mask, t.ptr_tag, t.addr_mask]) {
            // Relaxed: published by the Release store of `len` below.
            slot.store(v, Ordering::Relaxed);
        }
        self.len.store(n + 1, Ordering::Release);
    }

    /// For the conservative scan: `word` (outside the heap) decoded through each registered
    /// tagging; calls `f` with every address it yields. One load when none is registered.
    #[inline]
    pub(crate) fn decode(&self, word: usize, mut f: impl FnMut(usize)) {
        let n = self.len.load(Ordering::Acquire);
        for i in 0..n {
            if let Some(a) = self.entry(i).decode(word as u64) {
                f(a);
            }
        }
    }
}

fn registry_find(t: Tagging) -> bool {
    crate::collector::collector().taggings.find(t)
}

fn registry_add(t: Tagging) {
    crate::collector::collector().taggings.add(t)
}

// --- the typed slot ------------------------------------------------------------------------

/// A VM's value type: a `Copy` word whose pointer values `TAGGING` decodes.
///
/// # Safety
/// `to_bits` and `from_bits` are inverse; every word `to_bits` returns that `TAGGING` decodes
/// as a pointer is the address of (or inside) a live heap object the value refers to; and, if
/// `TAGGING.needs_registration()`, the program calls `TAGGING.register()` before any value of
/// the type exists (`GcValue` checks this and panics otherwise).
pub unsafe trait Value: Copy {
    /// The encoding of pointers in this type's words.
    const TAGGING: Tagging;
    /// The value as a word.
    fn to_bits(self) -> u64;
    /// # Safety
    /// `bits` came from `to_bits` of the same type, and any object it refers to is alive.
    unsafe fn from_bits(bits: u64) -> Self;
}

/// A mutable VM value slot inside a heap object (or a `GcArray` element): the value word is
/// read atomically (a reader on another goroutine sees the old or the new value, never half of
/// one) and stored through the write barrier, which decodes the old and the new word by the
/// value type's tagging.
pub struct GcValue<V: Value> {
    word: AtomicU64,
    _marker: PhantomData<V>,
}

// SAFETY: the slot is an atomic word; a value refers to heap objects, which any goroutine may
// read (`Gc<T>` is Send/Sync for T: Sync, and VM values are words).
unsafe impl<V: Value + Send> Send for GcValue<V> {}
// SAFETY: as above.
unsafe impl<V: Value + Sync> Sync for GcValue<V> {}

#[cold]
#[inline(never)]
fn unregistered(t: Tagging, ty: &str) -> ! {
    panic!(
        "GcValue<{ty}>: its tagging {t:?} puts pointers outside the heap's address range, and it is not registered: \
         call {ty}::TAGGING.register() at start-up, before values exist (the conservative stack scan must decode them)"
    )
}

impl<V: Value> GcValue<V> {
    /// A slot holding `v`.
    ///
    /// # Panics
    /// If `v` is a pointer and `V::TAGGING` needs registration and is not registered (see
    /// `Value`). Non-pointer values (a VM's nil, its numbers) skip the registry lookup: a VM
    /// fills tables and arrays with them, and no pointer can be hidden in them.
    #[inline]
    pub fn new(v: V) -> GcValue<V> {
        let bits = v.to_bits();
        if V::TAGGING.needs_registration() && V::TAGGING.decode(bits).is_some() && !V::TAGGING.is_registered() {
            unregistered(V::TAGGING, std::any::type_name::<V>());
        }
        GcValue { word: AtomicU64::new(bits), _marker: PhantomData }
    }

    /// The current value.
    #[inline]
    pub fn get(&self) -> V {
        // Acquire pairs with the Release in `set`: the target's initialisation is visible.
        // SAFETY: the word was written by `new`/`set` from a `V`; the slot is inside a
        // reachable object, so what it refers to is reachable too.
        unsafe { V::from_bits(self.word.load(Ordering::Acquire)) }
    }

    /// Stores `v` through the write barrier.
    #[inline]
    pub fn set(&self, v: V) {
        let new = v.to_bits();
        let c = crate::collector::collector();
        if c.debug.poisonfree {
            if let Some(a) = V::TAGGING.decode(new) {
                crate::debug::poison::check_live_interior(a, std::any::type_name::<V>());
            }
        }
        if cfg!(debug_assertions) && !tricolor_runtime::hooks::on_goroutine() {
            crate::mark::barrier::not_goroutine();
        }
        // Barrier and Release store, never split by a stop (`mark/barrier.rs`).
        crate::mark::barrier::store_value_word(c, &self.word, new, &V::TAGGING);
    }

    /// The raw word (for debugging and VMs that decode it themselves).
    pub fn bits(&self) -> u64 {
        // Relaxed: a snapshot for the caller; `get` is the ordered read.
        self.word.load(Ordering::Relaxed)
    }
}

impl<V: Value> fmt::Debug for GcValue<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GcValue({:#x})", self.word.load(Ordering::Relaxed))
    }
}

// SAFETY: reports the object its word refers to, if any (decoded by the type's tagging).
unsafe impl<V: Value> Trace for GcValue<V> {
    #[inline]
    fn trace(&self, t: &mut Tracer<'_>) {
        // Acquire pairs with `set`'s Release (see `GcCell`'s trace).
        if let Some(a) = V::TAGGING.decode(self.word.load(Ordering::Acquire)) {
            t.edge(a)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_box_round_trips_and_leaves_numbers_alone() {
        let t = Tagging::NAN_BOX;
        let a = 0x7f12_3456_7890usize;
        assert_eq!(t.decode(t.encode(a)), Some(a));
        for x in [0.0f64, -0.0, 1.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1e300] {
            assert_eq!(t.decode(x.to_bits()), None, "{x} decoded as a pointer");
        }
        assert!(t.needs_registration());
    }

    #[test]
    fn low_bits_round_trip() {
        let t = Tagging::low_bits(2, 1);
        assert_eq!(t.decode(t.encode(0x1000)), Some(0x1000));
        assert_eq!(t.decode(0x1000), None, "an untagged word is a small integer here");
        assert_eq!(t.decode((42 << 2) | 2), None);
        assert!(!t.needs_registration());
        assert!(!Tagging::UNTAGGED.needs_registration());
        assert_eq!(Tagging::UNTAGGED.decode(0), None);
    }

    /// A tagging no test registers: pointers tagged in bits 60..63.
    #[cfg(not(loom))]
    const NEVER_REGISTERED: Tagging = Tagging::new(0xf000_0000_0000_0000, 0x5000_0000_0000_0000, 0x0fff_ffff_ffff_ffff);

    #[cfg(not(loom))]
    #[derive(Clone, Copy)]
    struct Unreg(u64);
    // SAFETY: a test type: its pointer words are never made from live objects, and the test
    // that builds one expects the panic before it exists.
    #[cfg(not(loom))]
    unsafe impl Value for Unreg {
        const TAGGING: Tagging = NEVER_REGISTERED;
        fn to_bits(self) -> u64 {
            self.0
        }
        unsafe fn from_bits(bits: u64) -> Self {
            Unreg(bits)
        }
    }

    // Not under loom: the registry lives in the collector, whose atomics need a loom model.
    #[test]
    #[cfg(not(loom))]
    fn non_pointer_values_skip_the_registration_check() {
        assert!(NEVER_REGISTERED.needs_registration() && !NEVER_REGISTERED.is_registered());
        assert_eq!(GcValue::new(Unreg(42)).bits(), 42);
    }

    #[test]
    #[cfg(not(loom))]
    #[should_panic(expected = "is not registered")]
    fn pointer_values_of_an_unregistered_tagging_are_refused() {
        let _ = GcValue::new(Unreg(NEVER_REGISTERED.encode(0x7f00_0000_1000)));
    }

    #[test]
    #[should_panic(expected = "overlap")]
    fn overlapping_masks_are_refused() {
        let _ = Tagging::new(0xf, 0x1, !0);
    }
}
