//! The global run queue: an intrusive FIFO through `G::schedlink`, guarded by the scheduler
//! lock (Go's `sched.runq`). Its length is mirrored in `Sched::runq_size` for racy checks.

use crate::g::G;
use crate::sync::atomic::Ordering;
use std::ptr;

/// FIFO of Gs linked through `schedlink`. Protected by `sched.lock`.
#[derive(Debug)]
pub(crate) struct GQueue {
    head: *mut G,
    tail: *mut G,
    len: usize,
}

// SAFETY: the raw pointers are to never-freed G records, and the queue lives under a lock.
unsafe impl Send for GQueue {}

impl GQueue {
    pub(crate) const fn new() -> Self {
        GQueue { head: ptr::null_mut(), tail: ptr::null_mut(), len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push_back(&mut self, g: &'static G) {
        // Relaxed: the list is guarded by the scheduler lock.
        g.schedlink.store(ptr::null_mut(), Ordering::Relaxed);
        if self.tail.is_null() {
            self.head = g.as_ptr();
        } else {
            // SAFETY: tail is a live G record on this list (never freed).
            unsafe { &*self.tail }.schedlink.store(g.as_ptr(), Ordering::Relaxed);
        }
        self.tail = g.as_ptr();
        self.len += 1;
    }

    pub(crate) fn pop_front(&mut self) -> Option<&'static G> {
        if self.head.is_null() {
            return None;
        }
        // SAFETY: head is a live G record on this list (never freed).
        let g: &'static G = unsafe { &*self.head };
        self.head = g.schedlink.load(Ordering::Relaxed);
        if self.head.is_null() {
            self.tail = ptr::null_mut();
        }
        self.len -= 1;
        Some(g)
    }
}
