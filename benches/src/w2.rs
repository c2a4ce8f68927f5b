//! W2 "binary-trees": the Benchmarks Game program, single-threaded version, as the peers
//! `peers/go/w2_binarytrees/main.go` and `peers/bdwgc/w2_binarytrees.c` run it.
//!
//! maxDepth = max(6, N); a stretch tree of depth maxDepth+1 is built, checked and dropped; a
//! long-lived tree of depth maxDepth is kept; then for depth = 4, 6, …, maxDepth,
//! 2^(maxDepth−depth+4) trees of that depth are built (children before parent) and checked one
//! after another; finally the long-lived tree is checked. A tree of depth 0 is one node; the
//! check counts the nodes. The node is two pointers (16 bytes of payload, as on both peers;
//! Tricolor adds its one-word object header). Every tree is read after it is built, and the
//! long-lived tree stays on the goroutine's stack (a root) until its check.
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::fmt;
use std::time::{Duration, Instant};
use tricolor_gc::{Gc, Trace};

/// N in the workload definition.
pub const N: u32 = 21;

/// N for `--quick` (the peers' too).
pub const QUICK_N: u32 = 16;

const MIN_DEPTH: u32 = 4;

/// A tree node: two pointers, both `None` at a leaf.
#[derive(Trace, Debug)]
pub struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

/// A tree of `depth` built bottom-up (Go: `&Node{bottomUpTree(d-1), bottomUpTree(d-1)}`).
pub fn bottom_up_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        return Gc::new(Node { left: None, right: None });
    }
    let depth = depth - 1;
    let left = bottom_up_tree(depth);
    let right = bottom_up_tree(depth);
    Gc::new(Node { left: Some(left), right: Some(right) })
}

/// The number of nodes in the tree.
pub fn item_check(n: &Node) -> u64 {
    match (n.left, n.right) {
        (Some(l), Some(r)) => 1 + item_check(&l) + item_check(&r),
        _ => 1,
    }
}

/// Runs binary-trees with `n`; `line` receives each standard output line (without newline),
/// as the program prints them. Returns the time from the stretch tree to the last line (the
/// peers' `total`).
pub fn run(n: u32, line: &mut dyn FnMut(fmt::Arguments<'_>)) -> Duration {
    let start = Instant::now();
    let max_depth = n.max(MIN_DEPTH + 2);
    let stretch_depth = max_depth + 1;

    line(format_args!("stretch tree of depth {stretch_depth}\t check: {}", item_check(&bottom_up_tree(stretch_depth))));

    let long_lived = bottom_up_tree(max_depth);

    let mut depth = MIN_DEPTH;
    while depth <= max_depth {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        let mut check = 0;
        for _ in 0..iterations {
            check += item_check(&bottom_up_tree(depth));
        }
        line(format_args!("{iterations}\t trees of depth {depth}\t check: {check}"));
        depth += 2;
    }
    line(format_args!("long lived tree of depth {max_depth}\t check: {}", item_check(&long_lived)));
    let elapsed = start.elapsed();
    std::hint::black_box(long_lived);
    elapsed
}
