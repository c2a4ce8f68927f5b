//! W1 "GCBench": Hans Boehm's classic, as the peers `peers/go/w1_gcbench/main.go` and
//! `peers/bdwgc/w1_gcbench.c` run it.
//!
//! A temporary stretch tree of depth 18; a long-lived tree of depth 16 and an array of 500,000
//! doubles kept live to the end; then for depths d = 4, 6, …, 16, NumIters(d) =
//! 2·TreeSize(18)/TreeSize(d) temporary trees built top-down (`populate`: the parent exists
//! first, its children are stored into it) and as many bottom-up (`make_tree`: children first),
//! TreeSize(i) = 2^(i+1) − 1.
//!
//! The node is GCBench's: two pointers and two 32-bit ints (24 bytes of payload, as in the C
//! original and the Go peer; Tricolor adds its one-word object header). The pointers are
//! `GcCell`s because `populate` stores children into a node that already exists (Go: a plain
//! store with its write barrier; here `GcCell::set`). Each temporary tree is held by a root
//! while it is built: Go's package-level `tempTree`, C's `Node *volatile temp_tree`, here a
//! `GcCell` in a small heap object the running goroutine keeps on its stack for the whole run.
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::fmt;
use std::time::{Duration, Instant};
use tricolor_gc::{Gc, GcArray, GcCell, Trace};

/// The sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Depth of the temporary stretch tree (GCBench: 18).
    pub stretch: u32,
    /// Depth of the long-lived tree (16).
    pub long_lived: u32,
    /// Smallest temporary-tree depth (4).
    pub min_depth: u32,
    /// Largest temporary-tree depth (16).
    pub max_depth: u32,
    /// Doubles in the long-lived array (500,000).
    pub array: usize,
}

/// The workload definition's sizes (the peers' constants).
pub const FULL: Params = Params { stretch: 18, long_lived: 16, min_depth: 4, max_depth: 16, array: 500_000 };

/// A reduced size for the criterion bench (about 1/16 of the work: every depth 2 lower, and a
/// tenth of the array).
pub const SMALL: Params = Params { stretch: 14, long_lived: 12, min_depth: 4, max_depth: 12, array: 50_000 };

/// GCBench's node: two pointers and two ints.
#[derive(Trace, Debug)]
pub struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

impl Node {
    fn leaf() -> Node {
        Node { left: GcCell::new(None), right: GcCell::new(None), i: 0, j: 0 }
    }
}

/// The root that holds the temporary tree being built (the peers' global `tempTree`).
#[derive(Trace, Debug)]
struct TempRoot {
    tree: GcCell<Option<Gc<Node>>>,
}

fn tree_size(i: u32) -> u64 {
    (1u64 << (i + 1)) - 1
}

/// NumIters(d) = 2·TreeSize(stretch)/TreeSize(d).
pub fn num_iters(p: &Params, depth: u32) -> u64 {
    2 * tree_size(p.stretch) / tree_size(depth)
}

/// Top-down: the node exists first, its children are stored into it.
fn populate(depth: u32, n: Gc<Node>) {
    if depth == 0 {
        return;
    }
    let depth = depth - 1;
    n.left.set(Some(Gc::new(Node::leaf())));
    n.right.set(Some(Gc::new(Node::leaf())));
    populate(depth, n.left.get().expect("w1: left child just stored"));
    populate(depth, n.right.get().expect("w1: right child just stored"));
}

/// Bottom-up: children first, then the parent pointing at them.
fn make_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        return Gc::new(Node::leaf());
    }
    let left = make_tree(depth - 1);
    let right = make_tree(depth - 1);
    Gc::new(Node { left: GcCell::new(Some(left)), right: GcCell::new(Some(right)), i: 0, j: 0 })
}

fn time_construction(p: &Params, temp: &TempRoot, depth: u32, info: &mut dyn FnMut(fmt::Arguments<'_>)) {
    let iters = num_iters(p, depth);
    info(format_args!("creating {iters} trees of depth {depth}"));

    let start = Instant::now();
    for _ in 0..iters {
        temp.tree.set(Some(Gc::new(Node::leaf())));
        populate(depth, temp.tree.get().expect("w1: temp tree just stored"));
        temp.tree.set(None);
    }
    info(format_args!("top-down construction took {} ms", start.elapsed().as_millis()));

    let start = Instant::now();
    for _ in 0..iters {
        temp.tree.set(Some(make_tree(depth)));
        temp.tree.set(None);
    }
    info(format_args!("bottom-up construction took {} ms", start.elapsed().as_millis()));
}

/// Runs GCBench at sizes `p` and returns the time from the stretch tree to the end (the peers'
/// `total`). `info` receives the original's progress lines (the binary prints them as `info`
/// lines). Panics if the long-lived data did not survive.
pub fn run(p: &Params, info: &mut dyn FnMut(fmt::Arguments<'_>)) -> Duration {
    // The temporary trees' root, allocated before the clock starts (the peers' is a global).
    let temp = Gc::new(TempRoot { tree: GcCell::new(None) });

    let start = Instant::now();

    info(format_args!("stretching memory with a binary tree of depth {}", p.stretch));
    temp.tree.set(Some(make_tree(p.stretch)));
    temp.tree.set(None);

    info(format_args!("creating a long-lived binary tree of depth {}", p.long_lived));
    let long_lived = Gc::new(Node::leaf());
    populate(p.long_lived, long_lived);

    info(format_args!("creating a long-lived array of {} doubles", p.array));
    // Go: `make([]float64, n)`, then the first half filled with 1/i (array[0] = +Inf).
    let half = p.array / 2;
    let array = GcArray::from_fn(p.array, |i| if i < half { 1.0 / i as f64 } else { 0.0 });

    let mut d = p.min_depth;
    while d <= p.max_depth {
        time_construction(p, &temp, d, info);
        d += 2;
    }

    let probe = 1000.min(p.array - 1);
    if (p.long_lived > 0 && long_lived.left.get().is_none()) || array[probe] != 1.0 / probe as f64 {
        panic!("w1: failed: the long-lived data did not survive");
    }
    let elapsed = start.elapsed();
    std::hint::black_box((long_lived, array, temp));
    elapsed
}
