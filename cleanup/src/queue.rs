//! The queue between the sweeper and the cleanup goroutines (Go's `cleanupQueue`, reference
//! §10.3): per-P blocks of records filled by the sweeper, full blocks handed to the pool
//! (`pool.rs`), partial blocks flushed when a cycle's sweep completes or a waiter asks.
//!
//! Blocks are 512 bytes, allocated with Rust's allocator and never freed: they are reused
//! through the `free` stack, and every block ever made stays on the push-only `all` list that
//! the root scanner walks (a queued record's function and argument are roots until the
//! cleanup runs). The collector must not see these nodes as heap objects, so they are not on
//! the collected heap, and the lock-free stacks are the collector's own `LfStack` (the nodes'
//! addresses are packed with an ABA counter; crossbeam's epoch-based stacks would free nodes,
//! which the root scanner, running with the world stopped, could then read).
//!
//! Slot protocol. Each P owns one slot; the extra last slot serves threads without a P under a
//! lock. The owner takes its block out with `swap(null)`, appends, and stores it back (or hands
//! it to the pool when full); a flusher (any thread) takes blocks out with `swap(null)` too. A
//! block is therefore always in exactly one place — a slot, the owner's hands, the pool, a
//! consumer's hands, or `free` — and a flusher that finds a slot empty while its owner is
//! appending leaves that block for the next flush (`wait_idle` loops; the sweep-complete flush
//! runs when no sweeper is active, so no owner is appending).

use crate::pool::Pool;
use crate::record;
use crate::sync::{AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::ptr;
use tricolor_gc::internals::{LfNode, LfStack};
use tricolor_gc::Tracer;
use tricolor_runtime::hooks::pin_proc;
use tricolor_runtime::NoPreempt;

/// Records per block (the block is 512 bytes).
pub(crate) const ENTRIES: usize = 61;

#[repr(C)]
pub(crate) struct Block {
    /// First, so a `*const LfNode` from a stack is the block's address.
    node: LfNode,
    /// The next older block on `Queue::all`; written once, before the block is published.
    all_next: AtomicPtr<Block>,
    /// Entries written (the owner's count; a consumer reads it after taking the block).
    n: AtomicUsize,
    /// Records' data words (`record.rs`); 0 once taken by a consumer.
    entries: [AtomicUsize; ENTRIES],
}

#[cfg(not(loom))]
const _: () = assert!(std::mem::size_of::<Block>() == 512);

impl Block {
    fn new() -> Block {
        Block {
            node: LfNode::default(),
            all_next: AtomicPtr::new(ptr::null_mut()),
            n: AtomicUsize::new(0),
            entries: std::array::from_fn(|_| AtomicUsize::new(0)),
        }
    }

    /// The block a node popped from `Pool` or `free` heads.
    ///
    /// # Safety
    /// `node` came from a stack of blocks.
    pub(crate) unsafe fn from_node<'a>(node: *const LfNode) -> &'a Block {
        // SAFETY: `node` is the first field of a `repr(C)` never-freed `Block`.
        unsafe { &*node.cast::<Block>() }
    }

    /// Records written.
    pub(crate) fn len(&self) -> usize {
        // Acquire: pairs with the owner's Release store, though a consumer already synchronised
        // through the pool's work unit.
        self.n.load(Ordering::Acquire)
    }

    /// Takes record `i` (0 if taken). The caller owns the block (a consumer that took its
    /// work unit) and has preemption disabled, so no root scan runs between the load and the
    /// store: a load and a store suffice, no read-modify-write.
    pub(crate) fn take(&self, i: usize) -> usize {
        // Acquire: pairs with the producer's Release store of the record.
        let rec = self.entries[i].load(Ordering::Acquire);
        // Relaxed: the next reader is a root scan (after a stop-the-world, which synchronises)
        // or the block's next owner (through the free stack's Release/Acquire).
        self.entries[i].store(0, Ordering::Relaxed);
        rec
    }
}

/// One P's slot, on its own cache line.
#[repr(align(64))]
struct Slot {
    block: AtomicPtr<Block>,
    /// Records this slot ever queued.
    queued: AtomicU64,
    /// Registration ids handed out on this P (`next_id`).
    ids: AtomicU64,
}

/// The queue: slots, free blocks, every block, and the pool of full blocks.
pub(crate) struct Queue {
    pub(crate) pool: Pool,
    free: LfStack,
    all: AtomicPtr<Block>,
    slots: Box<[Slot]>,
    /// Serialises threads without a P on the last slot.
    spill: std::sync::Mutex<()>,
    /// Cleanups run (or started and panicked): Release per block, Acquire in `progress`.
    executed: AtomicU64,
}

impl Queue {
    /// A queue for `procs` Ps.
    pub(crate) fn new(procs: usize) -> Queue {
        Queue {
            pool: Pool::new(),
            free: LfStack::new(),
            all: AtomicPtr::new(ptr::null_mut()),
            slots: (0..=procs)
                .map(|_| Slot { block: AtomicPtr::new(ptr::null_mut()), queued: AtomicU64::new(0), ids: AtomicU64::new(0) })
                .collect(),
            spill: std::sync::Mutex::new(()),
            executed: AtomicU64::new(0),
        }
    }

    /// A process-unique registration id: a per-P counter with the P's index in the low bits
    /// (no shared counter on the registration path).
    pub(crate) fn next_id(&self, np: &NoPreempt, p: usize) -> u64 {
        let _ = np;
        // Relaxed: only the P's owner (pinned by `np`) writes this slot's counter.
        let n = self.slots[p].ids.load(Ordering::Relaxed);
        self.slots[p].ids.store(n + 1, Ordering::Relaxed);
        (n << 16) | p as u64
    }

    /// Queues records whose objects died (the sweeper's `on_dead`). Never blocks on a
    /// goroutine; allocates a block with Rust's allocator when none is free.
    pub(crate) fn enqueue(&self, recs: &[usize]) {
        match pin_proc() {
            Ok((np, p)) => {
                self.append(&self.slots[p.0], recs);
                drop(np);
            }
            Err(_) => {
                let _g = self.spill.lock().unwrap_or_else(|e| e.into_inner());
                self.append(&self.slots[self.slots.len() - 1], recs);
            }
        }
    }

    /// Appends to the slot's block, handing full blocks to the pool; the caller owns the slot
    /// (pinned to its P, or the spill lock).
    fn append(&self, s: &Slot, recs: &[usize]) {
        // Load + store, not an RMW: the caller owns the slot (one writer). Release: a
        // `wait_idle` that reads this count with Acquire sees the records counted before it
        // can see them run.
        let q = s.queued.load(Ordering::Relaxed);
        s.queued.store(q + recs.len() as u64, Ordering::Release);
        // Acquire: the block's contents as the last owner or flusher left them.
        let mut b = s.block.swap(ptr::null_mut(), Ordering::Acquire);
        for &rec in recs {
            if b.is_null() {
                b = self.new_block();
            }
            // SAFETY: blocks are never freed; we own `b` (taken out of the slot, or fresh).
            let blk = unsafe { &*b };
            let i = blk.n.load(Ordering::Relaxed);
            // Release: the record's contents before its pointer, for the root scanner and the
            // consumer.
            blk.entries[i].store(rec, Ordering::Release);
            blk.n.store(i + 1, Ordering::Release);
            if i + 1 == ENTRIES {
                // SAFETY: a never-freed block we own, headed by its node.
                unsafe { self.pool.push(b.cast_const().cast()) };
                b = ptr::null_mut();
            }
        }
        if !b.is_null() {
            // Release: our writes, for the next owner or flusher that swaps it out.
            s.block.store(b, Ordering::Release);
        }
    }

    /// A free block, or a new one published on `all`.
    fn new_block(&self) -> *mut Block {
        let n = self.free.pop();
        if !n.is_null() {
            return n.cast_mut().cast();
        }
        let b: *mut Block = Box::into_raw(Box::new(Block::new()));
        let mut head = self.all.load(Ordering::Acquire);
        loop {
            // SAFETY: `b` is ours until published.
            unsafe { (*b).all_next.store(head, Ordering::Relaxed) };
            // Release: `all_next` (and the zeroed entries) before the block is reachable from
            // `all`.
            match self.all.compare_exchange_weak(head, b, Ordering::Release, Ordering::Acquire) {
                Ok(_) => return b,
                Err(h) => head = h,
            }
        }
    }

    /// Returns a consumed block (every entry taken) to the free stack.
    ///
    /// # Safety
    /// The caller owns `blk` and took all its entries.
    pub(crate) unsafe fn recycle(&self, blk: &Block) {
        blk.n.store(0, Ordering::Relaxed);
        // SAFETY: never-freed block, owned by the caller; the push's Release publishes `n`.
        unsafe { self.free.push(&blk.node) };
    }

    /// Hands every slot's partial block to the pool and wakes consumers once (Go's
    /// `gcCleanups.flush` at the end of sweeping). Any thread; never blocks on a goroutine.
    pub(crate) fn flush(&self) {
        let mut pushed = false;
        for s in self.slots.iter() {
            // AcqRel: Acquire pairs with the owner's Release store-back (its entries);
            // Release keeps the slot's new emptiness ordered for the owner's next swap.
            let b = s.block.swap(ptr::null_mut(), Ordering::AcqRel);
            if b.is_null() {
                continue;
            }
            // SAFETY: taken out of the slot: ours.
            let blk = unsafe { &*b };
            if blk.len() == 0 {
                // SAFETY: ours, no entries.
                unsafe { self.recycle(blk) };
            } else {
                // SAFETY: ours, never freed.
                unsafe { self.pool.push_only(&blk.node) };
                pushed = true;
            }
        }
        if pushed {
            self.pool.wake();
        }
    }

    /// Reports every queued record's function and argument as roots (world stopped).
    pub(crate) fn scan_roots(&self, t: &mut Tracer<'_>) {
        // Acquire: pairs with `new_block`'s Release CAS (the block's fields before its
        // address). The world is stopped, so entries are not changing under us.
        let mut b = self.all.load(Ordering::Acquire);
        while !b.is_null() {
            // SAFETY: blocks on `all` are never freed.
            let blk = unsafe { &*b };
            for e in &blk.entries {
                // Acquire: pairs with `append`'s Release store (the record before its address).
                let rec = e.load(Ordering::Acquire);
                if rec != 0 {
                    // SAFETY: a record in a block is live until a consumer takes it, and no
                    // consumer runs while the world is stopped.
                    unsafe { record::trace(rec, t) };
                }
            }
            // Relaxed: written once before the block was published (Acquire above).
            b = blk.all_next.load(Ordering::Relaxed);
        }
    }

    /// Counts `n` cleanups finished (run or panicked).
    pub(crate) fn count_executed(&self, n: u64) {
        // Release: pairs with `progress`'s Acquire.
        self.executed.fetch_add(n, Ordering::Release);
    }

    /// (queued, executed): `executed` is read first, so `queued == executed` means every record
    /// queued before this call has finished.
    pub(crate) fn progress(&self) -> (u64, u64) {
        let done = self.executed.load(Ordering::Acquire);
        let queued = self.slots.iter().map(|s| s.queued.load(Ordering::Acquire)).sum();
        (queued, done)
    }

    /// Records each slot queued (tests).
    pub(crate) fn queued_per_slot(&self) -> Vec<u64> {
        // Acquire: pairs with `append`'s Release (statistics for tests).
        self.slots.iter().map(|s| s.queued.load(Ordering::Acquire)).collect()
    }
}
