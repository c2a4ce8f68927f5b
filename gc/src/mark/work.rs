//! Mark work: 2 KiB work buffers of grey object addresses, a per-P `GcWork` holding two of them
//! (one buffer of hysteresis, Go's `gcWork`), and the global lists `full` and `empty` they move
//! through (reference §4.1).
//!
//! - put: into `cur`; if full, swap with `spare`; if still full, publish `cur` on `full` and
//!   take an empty buffer.
//! - get: from `cur`; if empty, swap; if still empty, take a buffer from `full`.
//! - `balance`: when the global list is empty and we hold a spare with work, publish it so idle
//!   workers can take it.
//! - `dispose`: publish everything (termination and cycle end need empty local buffers).

use super::lfstack::{LfNode, LfStack};

/// Grey objects per buffer: the buffer is 2 KiB with its header.
pub(crate) const WORKBUF_LEN: usize = (2048 - 16) / 8;

/// A work buffer. Off-heap (never a collected object) and never freed.
#[repr(C)]
pub(crate) struct Workbuf {
    node: LfNode,
    n: usize,
    obj: [usize; WORKBUF_LEN],
}

/// The global lists.
#[derive(Debug)]
pub(crate) struct WorkLists {
    pub(crate) full: LfStack,
    empty: LfStack,
}

impl WorkLists {
    pub(crate) fn new() -> WorkLists {
        WorkLists { full: LfStack::new(), empty: LfStack::new() }
    }

    fn get_empty(&self) -> &'static mut Workbuf {
        let n = self.empty.pop();
        if !n.is_null() {
            // SAFETY: nodes on `empty` are Workbufs we own after the pop.
            let b = unsafe { &mut *(n as *mut Workbuf) };
            b.n = 0;
            return b;
        }
        // Allocate a batch; buffers live forever (LfStack invariant).
        let batch: &'static mut [Workbuf] = Box::leak(
            (0..16).map(|_| Workbuf { node: LfNode::default(), n: 0, obj: [0; WORKBUF_LEN] }).collect::<Vec<_>>().into_boxed_slice(),
        );
        let (first, rest) = batch.split_first_mut().unwrap_or_else(|| tricolor_runtime::throw!("gc: empty workbuf batch"));
        for b in rest {
            // SAFETY: a fresh, never-freed Workbuf we own.
            unsafe { self.empty.push(&b.node) };
        }
        first
    }

    fn put_full(&self, b: &'static mut Workbuf) {
        // SAFETY: a never-freed Workbuf we own.
        unsafe { self.full.push(&b.node) };
    }

    fn put_empty(&self, b: &'static mut Workbuf) {
        // SAFETY: as above.
        unsafe { self.empty.push(&b.node) };
    }

    fn get_full(&self) -> Option<&'static mut Workbuf> {
        let n = self.full.pop();
        // SAFETY: nodes on `full` are Workbufs, ours after the pop.
        (!n.is_null()).then(|| unsafe { &mut *(n as *mut Workbuf) })
    }
}

/// One P's mark work.
pub(crate) struct GcWork {
    cur: Option<&'static mut Workbuf>,
    spare: Option<&'static mut Workbuf>,
    /// Set when this worker published work to `full` (Go's `flushedWork`).
    pub(crate) flushed: bool,
}

impl std::fmt::Debug for GcWork {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GcWork").field("empty", &self.is_empty()).finish()
    }
}

impl GcWork {
    pub(crate) fn new() -> GcWork {
        GcWork { cur: None, spare: None, flushed: false }
    }

    #[inline]
    pub(crate) fn put(&mut self, lists: &WorkLists, obj: usize) {
        if let Some(b) = self.cur.as_deref_mut() {
            if b.n < WORKBUF_LEN {
                b.obj[b.n] = obj;
                b.n += 1;
                return;
            }
        }
        self.put_slow(lists, obj);
    }

    #[cold]
    fn put_slow(&mut self, lists: &WorkLists, obj: usize) {
        std::mem::swap(&mut self.cur, &mut self.spare);
        let full = self.cur.as_ref().is_none_or(|b| b.n == WORKBUF_LEN);
        if full {
            if let Some(b) = self.cur.take() {
                lists.put_full(b);
                self.flushed = true;
            }
            self.cur = Some(lists.get_empty());
        }
        let b = self.cur.as_deref_mut().unwrap_or_else(|| tricolor_runtime::throw!("gc: no current workbuf"));
        b.obj[b.n] = obj;
        b.n += 1;
    }

    #[inline]
    pub(crate) fn get(&mut self, lists: &WorkLists) -> Option<usize> {
        if let Some(b) = self.cur.as_deref_mut() {
            if b.n > 0 {
                b.n -= 1;
                return Some(b.obj[b.n]);
            }
        }
        self.get_slow(lists)
    }

    #[cold]
    fn get_slow(&mut self, lists: &WorkLists) -> Option<usize> {
        std::mem::swap(&mut self.cur, &mut self.spare);
        if self.cur.as_ref().is_none_or(|b| b.n == 0) {
            let full = lists.get_full()?;
            if let Some(old) = self.cur.take() {
                lists.put_empty(old);
            }
            self.cur = Some(full);
        }
        let b = self.cur.as_deref_mut()?;
        b.n -= 1;
        Some(b.obj[b.n])
    }

    /// When others may be starving (the global list is empty), publish work: the spare
    /// buffer if it holds any, else half of the current one if it holds more than 4 objects
    /// (Go's `balance`/`handoff`). Without the hand-off a depth-first walk — a tree holds about
    /// 2 × depth entries — never fills a buffer, and no other P ever gets work.
    #[inline]
    pub(crate) fn balance(&mut self, lists: &WorkLists) {
        if !lists.full.is_empty() {
            return;
        }
        if self.spare.as_ref().is_some_and(|b| b.n > 0) {
            let b = self.spare.take().expect("checked above");
            lists.put_full(b);
            self.flushed = true;
        } else if self.cur.as_ref().is_some_and(|b| b.n > 4) {
            self.handoff(lists);
        }
    }

    #[cold]
    fn handoff(&mut self, lists: &WorkLists) {
        let cur = self.cur.as_deref_mut().expect("checked by balance");
        let half = cur.n / 2;
        let out = lists.get_empty();
        // Hand off the older half (bottom of the stack): the newest entries stay local, hot.
        out.obj[..half].copy_from_slice(&cur.obj[..half]);
        out.n = half;
        cur.obj.copy_within(half..cur.n, 0);
        cur.n -= half;
        lists.put_full(out);
        self.flushed = true;
    }

    /// Publishes all local work and returns empty buffers (the ragged-barrier flush of
    /// concurrent marking; stop-the-world marking ends with empty buffers instead).
    pub(crate) fn dispose(&mut self, lists: &WorkLists) {
        for b in [self.cur.take(), self.spare.take()].into_iter().flatten() {
            if b.n > 0 {
                lists.put_full(b);
                self.flushed = true;
            } else {
                lists.put_empty(b);
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.cur.as_ref().is_none_or(|b| b.n == 0) && self.spare.as_ref().is_none_or(|b| b.n == 0)
    }
}
