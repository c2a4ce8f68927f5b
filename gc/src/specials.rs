//! Specials: records attached to a heap object, kept in a per-span list sorted by (object
//! offset, kind), outside the heap (reference §9.1, §10.1). Weak handles (issue 4) and cleanups
//! (issue 5) hang here; their crates register a `SpecialKind` that says how to trace a
//! record's data (its referents are roots: a cleanup's function and argument) and what to do
//! when the object dies.
//!
//! Rules kept here:
//! - A record is keyed by its object's slot offset in the span plus the interior offset it was
//!   made for, so several records per object and per interior pointer coexist.
//! - Marking traces every record's data (`trace_all`), never the object itself: a special does
//!   not keep its object alive.
//! - The sweeper, finding an object unmarked, removes its records and calls `on_dead` for each
//!   in kind order (kinds registered earlier first — weak handles register before cleanups, so
//!   a weak pointer reads empty before any cleanup of that object is queued, invariant 23).
//! - Adding a record to an unswept span first sweeps the span (invariant 12, `ensure_swept`).

use crate::collector::collector;
use crate::heap::span::Span;
use crate::object::trace::Tracer;
use crate::sync::atomic::Ordering;
use crate::sync::NpMutex as Mutex; // statics need a const constructor; not loom-modelled

/// A kind of special record; implemented by the crates that attach data to objects.
pub trait SpecialKind: Send + Sync + 'static {
    /// For diagnostics.
    fn name(&self) -> &'static str;
    /// Reports heap pointers held in `data` (called while marking, under the span's specials
    /// lock; concurrently with goroutines, which shade the data of records they add meanwhile).
    fn trace(&self, data: usize, t: &mut Tracer<'_>);
    /// The object at `object` (payload address) died; `interior` is the byte offset the record
    /// was made for. Called by the sweeper with no heap lock held; must not allocate from the
    /// collector or block.
    fn on_dead(&self, object: usize, interior: usize, data: usize);
    /// Several records of this kind died in one span (address order); the default reports
    /// them one by one. Same rules as `on_dead`.
    fn on_dead_batch(&self, deaths: &[Death]) {
        for d in deaths {
            self.on_dead(d.object, d.interior, d.data);
        }
    }
}

/// One dead record, for `SpecialKind::on_dead_batch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Death {
    /// The object's payload address.
    pub object: usize,
    /// The byte offset inside the object the record was made for.
    pub interior: usize,
    /// The record's data.
    pub data: usize,
}

/// A registered kind's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct KindId(u8);

impl KindId {
    /// The first kind registered (weak handles, by the collector itself).
    pub(crate) const FIRST: KindId = KindId(0);
}

/// One record.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Special {
    /// Byte offset of the object's slot from the span base.
    slot_offset: u32,
    /// Byte offset inside the object the record was made for.
    interior: u32,
    kind: KindId,
    data: usize,
}

static KINDS: Mutex<Vec<&'static dyn SpecialKind>> = Mutex::new(Vec::new());
/// Spans that have (or had, this cycle) specials. Under its lock; pruned by the sweeper.
static SPANS: Mutex<Vec<&'static Span>> = Mutex::new(Vec::new());

/// Registers a kind. Kinds registered earlier run their `on_dead` first for the same object.
pub fn register_kind(k: &'static dyn SpecialKind) -> KindId {
    // The collector registers weak handles as kind 0 when it starts; make sure it has.
    let _ = collector();
    let mut v = KINDS.lock();
    assert!(v.len() < 255, "gc: too many special kinds");
    v.push(k);
    KindId((v.len() - 1) as u8)
}

fn kind(id: KindId) -> &'static dyn SpecialKind {
    KINDS.lock()[id.0 as usize]
}

/// Why a special could not be attached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotHeap {
    /// The address is not inside an allocated heap object.
    NotAnObject(usize),
    /// The caller cannot allocate what the record needs (a weak handle's cell): it is not a
    /// goroutine, or is inside `blocking(..)`.
    NoProc(tricolor_runtime::hooks::NoProc),
}

impl std::fmt::Display for NotHeap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotHeap::NotAnObject(a) => write!(f, "{a:#x} is not inside a live heap object"),
            NotHeap::NoProc(why) => write!(f, "{why}"),
        }
    }
}

impl std::error::Error for NotHeap {}

/// Where a special for `addr` goes: the object found by the sweep protocol (its span swept for
/// the current cycle; the guard keeps it so), with its slot offset, interior offset and payload.
struct Located<'a> {
    found: crate::sweep::Found<'a>,
    slot_offset: u32,
    interior: u32,
    payload: usize,
}

impl Located<'_> {
    fn span(&self) -> &'static Span {
        self.found.obj.span
    }
}

fn locate(addr: usize) -> Result<Located<'static>, NotHeap> {
    let c = collector();
    let found = crate::sweep::lookup(&c.heap, addr).ok_or(NotHeap::NotAnObject(addr))?;
    let o = found.obj;
    let payload = if o.span.layout().spc.noscan() { o.slot } else { o.slot + crate::heap::HEADER };
    let interior = addr.checked_sub(payload).ok_or(NotHeap::NotAnObject(addr))?;
    Ok(Located { slot_offset: (o.slot - o.span.base()) as u32, interior: interior as u32, payload, found })
}

/// Attaches a record of `kind` with `data` to the object containing `addr`. With `unique`,
/// returns the existing record's data instead if one of this kind exists for the same
/// (object, interior offset). Returns (data in the list, object payload address).
pub fn add(addr: usize, kind: KindId, data: usize, unique: bool) -> Result<(usize, usize), NotHeap> {
    let at = locate(addr)?;
    let (span, slot_offset, interior, payload) = (at.span(), at.slot_offset, at.interior, at.payload);
    if kind != KindId::FIRST && collector().phase.marking() {
        // Invariant 25: a record added while marking runs has its data traced at once onto
        // this P's work (a cleanup's function and argument are roots the specials root job
        // may already have passed).
        let k = self::kind(kind);
        crate::mark::barrier::shade_traced(|t| k.trace(data, t));
    }
    let mut list = span.specials.lock();
    let key = (slot_offset, interior, kind);
    // Objects are usually registered in allocation (address) order: append without a search.
    let pos = match list.last() {
        None => 0,
        Some(l) if (l.slot_offset, l.interior, l.kind) < key => list.len(),
        Some(_) => list.partition_point(|s| (s.slot_offset, s.interior, s.kind) < key),
    };
    if unique {
        if let Some(s) = list.get(pos) {
            if (s.slot_offset, s.interior, s.kind) == key {
                return Ok((s.data, payload));
            }
        }
    }
    list.insert(pos, Special { slot_offset, interior, kind, data });
    if !span.has_specials.swap(true, Ordering::AcqRel) {
        SPANS.lock().push(span);
    }
    Ok((data, payload))
}

/// Removes the first record of `kind` for the object containing `addr` whose data satisfies
/// `pred`; returns its data. None also when `addr` is no longer inside an allocated object (it
/// died: its records went to their kinds when its span was swept).
pub fn remove(addr: usize, kind: KindId, mut pred: impl FnMut(usize) -> bool) -> Option<usize> {
    let at = locate(addr).ok()?;
    let mut list = at.span().specials.lock();
    let i = list.iter().position(|s| s.slot_offset == at.slot_offset && s.kind == kind && pred(s.data))?;
    Some(list.remove(i).data)
}

/// Finds the data of a `kind` record for exactly (object, interior offset) of `addr`.
pub fn find(addr: usize, kind: KindId) -> Option<usize> {
    let at = locate(addr).ok()?;
    let list = at.span().specials.lock();
    list.iter().find(|s| s.slot_offset == at.slot_offset && s.interior == at.interior && s.kind == kind).map(|s| s.data)
}

/// Marking: trace every record's data (a concurrent root job; each span's list under its lock,
/// records added after the snapshot of `SPANS` are shaded by `add`).
pub(crate) fn trace_all(t: &mut Tracer<'_>) {
    let spans: Vec<&'static Span> = SPANS.lock().clone();
    let kinds: Vec<&'static dyn SpecialKind> = KINDS.lock().clone();
    for span in spans {
        for s in span.specials.lock().iter() {
            kinds[s.kind.0 as usize].trace(s.data, t);
        }
    }
}

/// Sweeper: removes the records of dead objects of `span` (mark bits still hold this cycle's
/// result) and reports them to their kinds, kinds in registration order, each kind's records
/// in address order. Caller owns the span for sweeping.
pub(crate) fn sweep_span(span: &'static Span) {
    // No stop-the-world between taking a dead object's records off the span (where marking
    // traces them) and handing them to their kinds (a cleanup record goes into a queue block,
    // which the cleanup root scanner traces): a record is always on a scanned list, so a
    // cleanup keeps its referents alive until it runs (invariant 26). Sweeping has no
    // safepoint today anyway; this keeps it true under signal-based preemption.
    let _np = tricolor_runtime::NoPreempt::new();
    let l = span.layout();
    let noscan = l.spc.noscan();
    let dead: Vec<Special> = {
        let mut list = span.specials.lock();
        let mut dead = Vec::new();
        list.retain(|s| {
            // Magic-number division, not a `div` per record (W6: a million records per sweep).
            let idx = span.object_index(l.base + s.slot_offset as usize);
            if span.is_marked(idx) {
                true
            } else {
                dead.push(*s);
                false
            }
        });
        if list.is_empty() {
            span.has_specials.store(false, Ordering::Release);
        }
        dead
    };
    if dead.is_empty() {
        return;
    }
    // Kind by kind in registration order, each kind's records in address order (the list's
    // order), in one batch per kind: every weak cell of the span is cleared before any cleanup
    // of the span is queued (stronger than invariant 23 asks: per object). One lookup of the
    // registry per span, one call per kind (W6: a span of 16-byte objects reports up to 512
    // deaths).
    let kinds: Vec<&'static dyn SpecialKind> = KINDS.lock().clone();
    for (k, kind) in kinds.iter().enumerate() {
        let batch: Vec<Death> = dead
            .iter()
            .filter(|s| s.kind.0 as usize == k)
            .map(|s| {
                let slot = l.base + s.slot_offset as usize;
                let object = if noscan { slot } else { slot + crate::heap::HEADER };
                Death { object, interior: s.interior as usize, data: s.data }
            })
            .collect();
        if !batch.is_empty() {
            kind.on_dead_batch(&batch);
        }
    }
}

/// Drops spans without specials from the registry (after sweeping; world stopped or racy-safe:
/// a span re-gaining specials re-registers itself).
pub(crate) fn prune() {
    SPANS.lock().retain(|s| s.has_specials.load(Ordering::Acquire));
}

/// Forgets a span being freed.
pub(crate) fn forget(span: &'static Span) {
    SPANS.lock().retain(|s| !std::ptr::eq(*s, span));
}

/// Total records (stats, tests).
pub fn count() -> usize {
    SPANS.lock().iter().map(|s| s.specials.lock().len()).sum()
}
