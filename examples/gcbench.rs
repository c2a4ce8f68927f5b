//! Hans Boehm's GCBench on Tricolor's collected heap, through the facade, with the original's
//! output: a temporary stretch tree of depth 18; a long-lived tree of depth 16 and an array of
//! 500,000 doubles kept live; then for depths 4, 6, …, 16, NumIters(d) = 2·TreeSize(18) /
//! TreeSize(d) trees built top-down (`populate`: the parent exists first and its children are
//! stored into it, hence `GcCell` fields) and as many bottom-up (`make_tree`).
//!
//! ```sh
//! cargo run --release --example gcbench
//! TRICOLOR_DEBUG=gctrace=1 TRICOLOR_PROCS=1 cargo run --release --example gcbench
//! ```
//!
//! The same program is workload W1 (`benches/src/w1.rs`, compared with Go and bdwgc by
//! `benches/run.sh`).

use std::time::Instant;
use tricolor::gc::{stats, Gc, GcArray, GcCell, Trace};
use tricolor::runtime::Runtime;

const STRETCH_TREE_DEPTH: u32 = 18;
const LONG_LIVED_TREE_DEPTH: u32 = 16;
const ARRAY_SIZE: usize = 500_000;
const MIN_TREE_DEPTH: u32 = 4;
const MAX_TREE_DEPTH: u32 = 16;

#[derive(Trace)]
struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    i: i32,
    j: i32,
}

impl Node {
    fn new(left: Option<Gc<Node>>, right: Option<Gc<Node>>) -> Node {
        Node { left: GcCell::new(left), right: GcCell::new(right), i: 0, j: 0 }
    }
}

/// Nodes in a complete binary tree of depth `i`.
fn tree_size(i: u32) -> usize {
    (1 << (i + 1)) - 1
}

/// How many trees of depth `i` to build.
fn num_iters(i: u32) -> usize {
    2 * tree_size(STRETCH_TREE_DEPTH) / tree_size(i)
}

/// Builds a tree top-down: the children are stored into the existing node.
fn populate(depth: u32, this: Gc<Node>) {
    if depth == 0 {
        return;
    }
    let depth = depth - 1;
    let (left, right) = (Gc::new(Node::new(None, None)), Gc::new(Node::new(None, None)));
    this.left.set(Some(left));
    this.right.set(Some(right));
    populate(depth, left);
    populate(depth, right);
}

/// Builds a tree bottom-up: the children first, then the node pointing at them.
fn make_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        Gc::new(Node::new(None, None))
    } else {
        Gc::new(Node::new(Some(make_tree(depth - 1)), Some(make_tree(depth - 1))))
    }
}

fn print_diagnostics() {
    let s = stats();
    println!(" Heap in use {} bytes, committed {} bytes, goal {} bytes", s.heap_inuse, s.heap_sys, s.heap_goal);
}

fn time_construction(depth: u32) {
    let iters = num_iters(depth);
    println!("Creating {iters} trees of depth {depth}");

    let start = Instant::now();
    for _ in 0..iters {
        let temp_tree = Gc::new(Node::new(None, None));
        populate(depth, temp_tree);
        std::hint::black_box(temp_tree);
    }
    println!("\tTop down construction time {} msecs", start.elapsed().as_millis());

    let start = Instant::now();
    for _ in 0..iters {
        std::hint::black_box(make_tree(depth));
    }
    println!("\tBottom up construction time {} msecs", start.elapsed().as_millis());
}

fn main() {
    let cfg = Runtime::global().config().clone();
    Runtime::global().block_on(move || {
        println!("Garbage Collector Test");
        println!(
            " Live storage will peak at {} bytes.\n",
            2 * std::mem::size_of::<Node>() * tree_size(LONG_LIVED_TREE_DEPTH) + std::mem::size_of::<f64>() * ARRAY_SIZE
        );
        println!(" Stretching memory with a binary tree of depth {STRETCH_TREE_DEPTH}");
        print_diagnostics();
        let gc0 = stats().num_gc;
        let start = Instant::now();

        // Stretch the memory space quickly.
        std::hint::black_box(make_tree(STRETCH_TREE_DEPTH));

        // Create a long-lived object.
        println!(" Creating a long-lived binary tree of depth {LONG_LIVED_TREE_DEPTH}");
        let long_lived_tree = Gc::new(Node::new(None, None));
        populate(LONG_LIVED_TREE_DEPTH, long_lived_tree);

        // Create long-lived array, filling half of it.
        println!(" Creating a long-lived array of {ARRAY_SIZE} doubles");
        let array = GcArray::from_fn(ARRAY_SIZE, |i| if i < ARRAY_SIZE / 2 { 1.0 / i as f64 } else { 0.0 });
        print_diagnostics();

        let mut d = MIN_TREE_DEPTH;
        while d <= MAX_TREE_DEPTH {
            time_construction(d);
            d += 2;
        }

        if long_lived_tree.left.get().is_none() || array[1000] != 1.0 / 1000.0 {
            println!("Failed");
        }
        // Fake reference to keep the long-lived tree and array alive to here.
        std::hint::black_box((long_lived_tree, array));
        let elapsed = start.elapsed();
        print_diagnostics();
        let s = stats();
        println!("Completed in {} msec", elapsed.as_millis());
        println!(
            "Completed {} collections ({} procs), pauses {:?} total, {:?} max",
            s.num_gc - gc0,
            cfg.procs,
            s.pause_total,
            s.pauses.iter().max().copied().unwrap_or_default()
        );
    });
}
