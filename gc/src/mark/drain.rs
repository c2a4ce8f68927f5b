//! The marker: `Worker` greys objects (sets mark bits, queues scannable ones), scans them by
//! their type's layout, and drains until the collection's work is done (reference §4.2).
//!
//! Two flavours of pointer:
//! - precise (`grey_precise`): a word the type says is a pointer — a payload address or 0. A
//!   non-heap address is ignored (VMs may point at static data); a pointer to a free slot is a
//!   use-after-free in the mutator and aborts the collection with the address (Go's
//!   "found pointer to free object").
//! - conservative (`grey_conservative`): any word of a stack or saved register. Words that do
//!   not land in an allocated slot, or in a scan object whose header is not published yet, are
//!   ignored (invariant 21).

use super::work::{GcWork, WorkLists};
use crate::heap::arena::{Arena, ObjRef};
use crate::heap::{header, HEADER};
use crate::object::trace::Tracer;
use crate::object::type_info::{Layout, TypeInfo};
use crate::sync::atomic::Ordering;

/// What a worker marks with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The collection's mark bits.
    Mark,
    /// Checkmark verification (`debug/checkmark.rs`): check bits; an object reachable but not
    /// marked by the real mark is a collector bug.
    Checkmark,
}

/// A marker, one per P.
pub(crate) struct Worker {
    pub(crate) gcw: GcWork,
    pub(crate) mode: Mode,
    /// Bytes of objects this worker marked this cycle.
    pub(crate) bytes_marked: usize,
    /// Bytes of objects this worker scanned (scan work).
    pub(crate) bytes_scanned: usize,
    arena: &'static Arena,
    lists: &'static WorkLists,
    /// VM value taggings the conservative scan decodes words outside the heap by.
    taggings: &'static crate::object::value::Taggings,
    /// Checkmark mode's own work stack (single-threaded, independent of the real machinery).
    check_stack: Vec<usize>,
    /// Checkmark after a concurrent mark: objects reached from conservative stack words (and
    /// what they reach) are not reported. A stack scanned during the mark may since have grown
    /// back over frames whose unwritten slots hold stale addresses of objects that were dead
    /// when it was scanned (the allocator's `span.base` locals are the usual ones); they are
    /// not references, and the concurrent mark rightly left them white. Entries of
    /// `check_stack` carry this flag in bit 0.
    pub(crate) tolerate_stacks: bool,
    tolerant: bool,
    /// Objects `tolerate_stacks` let through (reported by the checkmark pass).
    pub(crate) tolerated: usize,
    /// Check that precise pointers land on allocated slots.
    validate: bool,
    /// The slot of the object being scanned (0: a root — a goroutine stack, a `Root`, a root
    /// scanner), for `bad_pointer`'s message.
    scanning: usize,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("mode", &self.mode).field("bytes_marked", &self.bytes_marked).finish()
    }
}

impl Worker {
    pub(crate) fn new(arena: &'static Arena, lists: &'static WorkLists, mode: Mode) -> Worker {
        let c = crate::collector::collector();
        let d = c.debug;
        let validate = cfg!(debug_assertions) || d.poisonfree || d.checkmark;
        Worker {
            gcw: GcWork::new(),
            mode,
            bytes_marked: 0,
            bytes_scanned: 0,
            arena,
            lists,
            taggings: &c.taggings,
            check_stack: Vec::new(),
            tolerate_stacks: false,
            tolerant: false,
            tolerated: 0,
            validate,
            scanning: 0,
        }
    }

    /// A precise pointer (payload address, non-zero).
    #[inline]
    pub(crate) fn grey_precise(&mut self, addr: usize) {
        let Some(o) = self.arena.find_object(addr) else { return };
        // Validating that the slot is allocated costs a cache line per pointer; it runs in debug
        // builds and under poisonfree/gccheckmark, the modes meant to catch such bugs.
        // A fresh object allocated while marking is marked black at once; its slot's
        // `freeindex` advance may not be visible to this thread yet.
        if self.validate && !o.span.is_allocated(o.index) && !o.span.is_marked(o.index) {
            bad_pointer(addr, o, self.scanning);
        }
        self.grey(o);
    }

    /// A word that may or may not be a pointer.
    #[inline]
    pub(crate) fn grey_conservative(&mut self, word: usize) {
        if self.mode == Mode::Checkmark && self.tolerate_stacks {
            let outer = std::mem::replace(&mut self.tolerant, true);
            self.grey_conservative_inner(word);
            self.tolerant = outer;
            return;
        }
        self.grey_conservative_inner(word);
    }

    #[inline]
    fn grey_conservative_inner(&mut self, word: usize) {
        if !self.arena.contains(word) {
            // A VM value whose tagging puts it outside the heap (NaN boxing): decoded through
            // the registered taggings (`object/value.rs`); one load when there are none.
            let mut found = [0usize; crate::object::value::MAX_TAGGINGS];
            let mut n = 0;
            self.taggings.decode(word, |a| {
                found[n] = a;
                n += 1;
            });
            for &a in &found[..n] {
                if self.arena.contains(a) {
                    self.grey_conservative_inner(a);
                }
            }
            return;
        }
        let Some(o) = self.arena.find_object(word) else { return };
        if !o.span.is_allocated(o.index) {
            return;
        }
        if !o.span.layout().spc.noscan() && header(o.slot).load(Ordering::Acquire) == 0 {
            return; // allocated but not yet published (invariant 21)
        }
        self.grey(o);
    }

    /// Scans `[lo, hi)` conservatively (a stack).
    pub(crate) fn scan_range_conservative(&mut self, lo: usize, hi: usize) {
        let mut p = (lo + 7) & !7;
        while p + 8 <= hi {
            // SAFETY: the caller passes committed memory it may read (a stopped goroutine's
            // live stack, or its own); racy or uninitialised words are fine for a
            // conservative scan, and `peek_word` reads them without undefined behaviour.
            let w = unsafe { crate::object::peek::peek_word(p) };
            self.grey_conservative(w);
            p += 8;
        }
    }

    /// Scans a stack conservatively: its saved registers, then `[sp, hi)`. Returns the stack
    /// bytes scanned.
    pub(crate) fn scan_stack(&mut self, regs: &[usize], sp: usize, hi: usize) -> usize {
        for &r in regs {
            self.grey_conservative(r);
        }
        self.scan_range_conservative(sp, hi);
        hi - sp
    }

    /// Scans the calling goroutine's own stack (every frame of the caller is live). Returns
    /// the stack bytes scanned.
    pub(crate) fn scan_own_stack(&mut self) -> usize {
        tricolor_runtime::scan::with_current_stack(|regs, sp, hi| self.scan_stack(regs, sp, hi))
    }

    /// Scans a goroutine frozen by its scan bit: registers, live stack, and the spawn packet of
    /// one that has not started. Returns the stack bytes scanned.
    pub(crate) fn scan_suspended(&mut self, g: &tricolor_runtime::scan::SuspendedG) -> usize {
        let (sp, hi) = (g.sp(), g.stack_hi());
        let bytes = if sp >= g.stack_lo() && sp <= hi {
            self.scan_stack(&g.regs(), sp, hi)
        } else {
            for r in g.regs() {
                self.grey_conservative(r);
            }
            0
        };
        if let Some((p, n)) = g.pending_body() {
            self.scan_range_conservative(p, p + n);
        }
        // Still holding its scan bit: the pages below its SP go back to the OS (DESIGN
        // decision 9, seed 000 done right).
        g.release_unused_stack();
        bytes
    }

    #[inline]
    fn grey(&mut self, o: ObjRef) {
        let l = o.span.layout();
        match self.mode {
            Mode::Mark => {
                if o.span.try_mark(o.index) {
                    self.bytes_marked += l.elemsize;
                    if !l.spc.noscan() {
                        self.gcw.put(self.lists, o.slot);
                    }
                }
            }
            Mode::Checkmark => {
                if o.span.try_checkmark(o.index) {
                    let mut tolerant = self.tolerant;
                    if !o.span.is_marked(o.index) {
                        if !tolerant {
                            crate::debug::checkmark::unmarked(o);
                        }
                        self.tolerated += 1;
                    } else {
                        tolerant = false;
                    }
                    if !l.spc.noscan() {
                        self.check_stack.push(o.slot | tolerant as usize);
                    }
                }
            }
        }
    }

    /// Scans one object (its slot address) by its type.
    pub(crate) fn scan_object(&mut self, slot: usize) {
        let h = header(slot).load(Ordering::Acquire);
        if h == 0 {
            return;
        }
        // SAFETY: a published header holds a `&'static TypeInfo`.
        let ty: &'static TypeInfo = unsafe { &*(h as *const TypeInfo) };
        let payload = slot + HEADER;
        self.scanning = slot;
        self.scan_payload(payload, ty);
        self.scanning = 0;
    }

    fn scan_payload(&mut self, payload: usize, ty: &'static TypeInfo) {
        match ty.layout {
            Layout::Array(elem) => {
                // SAFETY: an array payload starts with its length word.
                let len = unsafe { (*(payload as *const crate::sync::atomic::AtomicUsize)).load(Ordering::Acquire) };
                self.bytes_scanned += 8 + len * elem.size;
                self.scan_elements(payload + 8, elem, len);
            }
            Layout::VarLen { head, elem } => {
                // SAFETY: a variable-length payload starts with its length word, written by
                // `raw::alloc_array` before the header was published.
                let len = unsafe { (*(payload as *const crate::sync::atomic::AtomicUsize)).load(Ordering::Relaxed) };
                self.bytes_scanned += 8 + ty.size + len * elem.size;
                if let Some(h) = head {
                    self.scan_fixed(payload + 8, h);
                }
                self.scan_elements(payload + 8 + ty.size, elem, len);
            }
            _ => {
                self.bytes_scanned += ty.size;
                self.scan_fixed(payload, ty)
            }
        }
    }

    /// Scans `len` inline elements of type `elem` from `base`.
    fn scan_elements(&mut self, base: usize, elem: &'static TypeInfo, len: usize) {
        if elem.is_noscan() {
            return;
        }
        for i in 0..len {
            self.scan_fixed(base + i * elem.size, elem);
        }
    }

    /// Scans one value of a fixed layout at `p`.
    #[inline]
    fn scan_fixed(&mut self, p: usize, ty: &'static TypeInfo) {
        match ty.layout {
            Layout::NoScan => {}
            Layout::Words(bits) => self.scan_words(p, bits),
            Layout::Values { pointers, values, tagging } => {
                self.scan_words(p, pointers);
                self.scan_values(p, values, tagging);
            }
            Layout::Trace(f) => {
                let mut t = Tracer { w: self };
                // SAFETY: the header (or the enclosing array's) says `p` is a live value of
                // this type.
                unsafe { f(p as *const u8, &mut t) };
            }
            Layout::Array(_) | Layout::VarLen { .. } => {
                tricolor_runtime::throw!("gc: arrays are stored by pointer, not inline in another object")
            }
        }
    }

    /// The value words of `bits` at `payload`, decoded by `tagging`.
    fn scan_values(&mut self, payload: usize, bits: &[u64], tagging: crate::object::value::Tagging) {
        for_each_bit(bits, |i| {
            // SAFETY: the layout was validated against the payload size; Acquire pairs with
            // the Release of `raw::write_value` / `GcValue::set`.
            let v = unsafe { (*((payload + i * 8) as *const crate::sync::atomic::AtomicU64)).load(Ordering::Acquire) };
            if let Some(a) = tagging.decode(v) {
                self.grey_precise(a);
            }
        })
    }

    #[inline]
    fn scan_words(&mut self, payload: usize, bits: &[u64]) {
        for_each_bit(bits, |i| {
            // SAFETY: the bitmap was validated against the payload size, so word i is inside
            // the live object. Acquire pairs with `raw::write_ptr`'s Release store, as
            // `GcCell`'s trace does (concurrent markers must see the target's header).
            let v = unsafe { (*((payload + i * 8) as *const crate::sync::atomic::AtomicUsize)).load(Ordering::Acquire) };
            if v != 0 {
                self.grey_precise(v);
            }
        })
    }

    /// Scans local work until none is left (local buffers, then the global list).
    #[inline]
    pub(crate) fn drain_local(&mut self) {
        self.drain(usize::MAX);
    }

    /// Scans up to about `limit` objects of local and global work; returns whether the limit
    /// stopped it (work may remain).
    ///
    /// Marking a large, randomly linked heap is bound by memory latency, so objects pass
    /// through a small ring: each object taken from the work buffer is prefetched, and the one
    /// taken `PREFETCH` steps earlier — by now in cache — is scanned.
    pub(crate) fn drain(&mut self, limit: usize) -> bool {
        const PREFETCH: usize = 8;
        match self.mode {
            Mode::Mark => {
                let mut ring = [0usize; PREFETCH];
                let mut head = 0usize; // oldest entry
                let mut held = 0usize; // entries in the ring
                let mut n = 0usize;
                loop {
                    let next = if n >= limit { None } else { self.gcw.get(self.lists) };
                    match next {
                        Some(slot) => {
                            prefetch(slot);
                            if held == PREFETCH {
                                let old = ring[head];
                                ring[head] = slot;
                                head = (head + 1) % PREFETCH;
                                self.scan_object(old);
                            } else {
                                ring[(head + held) % PREFETCH] = slot;
                                held += 1;
                            }
                        }
                        None => {
                            // Scanning what is held may produce more work.
                            if held == 0 {
                                return n >= limit;
                            }
                            let old = ring[head];
                            head = (head + 1) % PREFETCH;
                            held -= 1;
                            self.scan_object(old);
                        }
                    }
                    n += 1;
                    if n.is_multiple_of(64) {
                        self.gcw.balance(self.lists);
                    }
                }
            }
            Mode::Checkmark => {
                let outer = self.tolerant;
                while let Some(e) = self.check_stack.pop() {
                    self.tolerant = e & 1 != 0;
                    self.scan_object(e & !1);
                }
                self.tolerant = outer;
                false
            }
        }
    }
}

/// Brings an object's first line (header and first fields) towards the cache.
#[inline(always)]
fn prefetch(addr: usize) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetch is a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(addr as *const i8, std::arch::x86_64::_MM_HINT_T0)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = addr;
}

#[cold]
/// Calls `f` with the index of every set bit of `bits`, lowest first.
#[inline(always)]
fn for_each_bit(bits: &[u64], mut f: impl FnMut(usize)) {
    for (wi, &word) in bits.iter().enumerate() {
        let mut b = word;
        while b != 0 {
            f(wi * 64 + b.trailing_zeros() as usize);
            b &= b - 1;
        }
    }
}

fn bad_pointer(addr: usize, o: ObjRef, holder: usize) -> ! {
    let held_by = if holder == 0 {
        "a root (a goroutine stack, a Root, a root scanner or a channel buffer)".to_string()
    } else {
        let h = header(holder).load(Ordering::Relaxed);
        // SAFETY: the holder is the object being scanned: its header is a published TypeInfo.
        let name = if h == 0 { "?" } else { unsafe { &*(h as *const TypeInfo) }.name() };
        format!("object {:#x} ({name})", holder + HEADER)
    };
    crate::debug::fatal(format_args!(
        "found pointer to free object {addr:#x} (slot {:#x}, {:?}), held by {held_by}: a Gc outlived its object — \
         it was kept only in memory the collector does not scan (a Vec, a Box, a thread-local, an OS \
         thread's stack: keep it in a Root or a RootedVec, or report that memory from a root scanner, \
         raw::add_root_scanner), or the raw API stored a dangling address",
        o.slot, o.span
    ))
}
