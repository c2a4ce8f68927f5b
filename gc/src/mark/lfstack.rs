//! `LfStack`: a lock-free Treiber stack of off-heap nodes with an ABA-tagged head (Go's
//! `lfstack`, reference §4.1, invariant 22). The global lists of full and empty work buffers.
//!
//! Protocol (cited as steps in the code and in `tests/loom_lfstack.rs`):
//! 1. The head packs a node address (8-aligned, below 2^48: 45 significant bits) with a 19-bit
//!    counter that every successful CAS increments, so a head that was popped and pushed back
//!    between a pop's load and its CAS no longer compares equal (ABA).
//! 2. push: link the node to the current top (`next`), then CAS the head from the value read to
//!    (node, count + 1) with Release, publishing the node's contents.
//! 3. pop: load the head (Acquire), read the top node's `next` (the node may be concurrently
//!    popped and re-pushed; `next` is atomic and the stale value is rejected by step 4), then
//! 4. CAS the head to (next, count + 1); failure means someone else moved the head: retry.
//!
//! Invariant: nodes are never freed (type-stable memory), so step 3 always reads valid memory;
//! and they are not collected objects — the collector does not see `next` links.

use crate::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

const CNT_BITS: u32 = 19;
const CNT_MASK: u64 = (1 << CNT_BITS) - 1;

/// The link every node starts with.
#[derive(Debug, Default)]
#[repr(C)]
pub struct LfNode {
    pub(crate) next: AtomicUsize,
}

fn pack(node: usize, cnt: u64) -> u64 {
    debug_assert!(node.is_multiple_of(8) && (node as u64) < 1 << 48, "gc: lfstack node {node:#x} cannot be packed");
    ((node as u64 >> 3) << CNT_BITS) | (cnt & CNT_MASK)
}

fn unpack(v: u64) -> (usize, u64) {
    (((v >> CNT_BITS) << 3) as usize, v & CNT_MASK)
}

/// A lock-free stack of `LfNode`-headed nodes.
#[derive(Debug)]
pub struct LfStack {
    head: AtomicU64,
}

impl Default for LfStack {
    fn default() -> Self {
        Self::new()
    }
}

impl LfStack {
    /// An empty stack.
    pub fn new() -> LfStack {
        LfStack { head: AtomicU64::new(0) }
    }

    /// Pushes `node`.
    ///
    /// # Safety
    /// 1. `node` points to an `LfNode` at the start of a node that is never freed.
    /// 2. The caller owns the node (it is on no stack).
    pub unsafe fn push(&self, node: *const LfNode) {
        let addr = node as usize;
        let mut old = self.head.load(Ordering::Relaxed);
        loop {
            let (top, cnt) = unpack(old);
            // SAFETY: obligation 1; Relaxed: published by the Release CAS below.
            unsafe { (*node).next.store(top, Ordering::Relaxed) };
            // Step 2. Release publishes the node's contents to the popper's Acquire.
            match self.head.compare_exchange_weak(old, pack(addr, cnt + 1), Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(cur) => old = cur,
            }
        }
    }

    /// Pops a node, or null if empty.
    pub fn pop(&self) -> *const LfNode {
        loop {
            // Step 3. Acquire pairs with push's Release.
            let old = self.head.load(Ordering::Acquire);
            let (top, cnt) = unpack(old);
            if top == 0 {
                return std::ptr::null();
            }
            // SAFETY: nodes are never freed (invariant), so `top` is valid memory even if it was
            // popped meanwhile; a stale `next` is rejected by the CAS.
            let next = unsafe { (*(top as *const LfNode)).next.load(Ordering::Relaxed) };
            // Step 4. Acquire on success: the node's contents (published by its push) are ours.
            if self.head.compare_exchange_weak(old, pack(next, cnt + 1), Ordering::Acquire, Ordering::Relaxed).is_ok() {
                return top as *const LfNode;
            }
        }
    }

    /// Whether the stack is empty (racy).
    pub fn is_empty(&self) -> bool {
        unpack(self.head.load(Ordering::Acquire)).0 == 0
    }
}
