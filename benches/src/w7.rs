//! W7 "mark": the full-collection mark rate over a large live heap, as the peers
//! `peers/go/w7_mark/main.go` and `peers/bdwgc/w7_mark.c` run it.
//!
//! `n` nodes of 4 pointers (32 bytes of payload; 8,388,608 nodes = 256 MiB in the definition;
//! Tricolor adds its one-word object header), in one of two shapes:
//!
//! - random: links 0 and 1 form a binary tree laid over a random permutation of the nodes
//!   (tree position t has its children at positions 2t+1 and 2t+2), links 2 and 3 point to
//!   uniformly random nodes;
//! - local: links 0 and 1 form a binary tree in pre-order allocation order, links 2 and 3 point
//!   to a random node within 32 nodes (1 KiB) either side in allocation order.
//!
//! The random numbers are the peers' (xorshift64*, the same seed), so every side builds the
//! same graph. While the graph is linked the nodes are held by an array (Go: a `[]*Node`
//! slice, C: an uncollectable array; here a `GcArray` of `GcCell`s, filled after it is
//! allocated, as Go fills its slice). The array is dropped before timing: the graph is built
//! on a goroutine of its own that hands back only a `Root` of the tree's root, so no stale copy
//! of the array's address on a stack (which the collector scans conservatively) can keep it
//! alive. The tree's root is then the only root.
//!
//! Every kernel must run on a goroutine (inside `block_on`).

use std::time::{Duration, Instant};
use tricolor_gc::{collect, Gc, GcArray, GcCell, Root, Trace};
use tricolor_runtime::go;

/// Timed collections per shape.
pub const COLLECTIONS: u32 = 5;

/// Bytes of a node as the metric counts them: 4 pointers (the same numerator on every side).
pub const NODE_SIZE: usize = 32;

/// Local links reach this many nodes either side.
pub const WINDOW: u64 = 32;

/// The generator's seed (the peers').
pub const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// MiB of nodes in the workload definition.
pub const MIB: usize = 256;

/// MiB of nodes for `--quick` (the peers' too).
pub const QUICK_MIB: usize = 32;

/// Nodes in `mib` MiB.
pub fn nodes_for_mib(mib: usize) -> usize {
    (mib << 20) / NODE_SIZE
}

/// A node: four links that are set after every node exists.
#[derive(Trace, Debug)]
pub struct Node {
    link: [GcCell<Option<Gc<Node>>>; 4],
}

const _: () = assert!(std::mem::size_of::<Node>() == NODE_SIZE);

impl Node {
    fn new() -> Node {
        Node { link: [GcCell::new(None), GcCell::new(None), GcCell::new(None), GcCell::new(None)] }
    }
}

/// xorshift64* (Vigna), as in the peers.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator at the peers' seed.
    pub fn new() -> Rng {
        Rng(SEED)
    }

    /// The next number.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (modulo, as the peers).
    #[inline]
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

impl Default for Rng {
    fn default() -> Self {
        Rng::new()
    }
}

/// The two shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// Tree over a random permutation, random cross links.
    Random,
    /// Pre-order tree, cross links within `WINDOW` nodes.
    Local,
}

impl Shape {
    /// The metric suffix.
    pub fn name(self) -> &'static str {
        match self {
            Shape::Random => "random",
            Shape::Local => "local",
        }
    }
}

type Slots = [GcCell<Option<Gc<Node>>>];

#[inline]
fn at(nodes: &Slots, i: usize) -> Gc<Node> {
    nodes[i].get().expect("w7: node slot empty")
}

/// `n` zeroed nodes allocated in order, held by an array (Go: `make([]*Node, n)`, then filled).
fn alloc_nodes(n: usize) -> GcArray<GcCell<Option<Gc<Node>>>> {
    let nodes = GcArray::from_fn(n, |_| GcCell::new(None));
    for slot in nodes.iter() {
        slot.set(Some(Gc::new(Node::new())));
    }
    nodes
}

fn build_random(nodes: &Slots, r: &mut Rng) -> Gc<Node> {
    let n = nodes.len();
    let mut perm: Vec<u32> = (0..n as u32).collect();
    for i in (1..n).rev() {
        let j = r.below(i as u64 + 1) as usize;
        perm.swap(i, j);
    }
    for t in 0..n {
        let node = at(nodes, perm[t] as usize);
        if 2 * t + 1 < n {
            node.link[0].set(Some(at(nodes, perm[2 * t + 1] as usize)));
        }
        if 2 * t + 2 < n {
            node.link[1].set(Some(at(nodes, perm[2 * t + 2] as usize)));
        }
    }
    for i in 0..n {
        let node = at(nodes, i);
        node.link[2].set(Some(at(nodes, r.below(n as u64) as usize)));
        node.link[3].set(Some(at(nodes, r.below(n as u64) as usize)));
    }
    at(nodes, perm[0] as usize)
}

/// `nodes[lo]` becomes the root of a tree of size `n` laid out in pre-order.
fn link_preorder(nodes: &Slots, lo: usize, n: usize) {
    let left = (n - 1) / 2;
    let right = n - 1 - left;
    if left > 0 {
        at(nodes, lo).link[0].set(Some(at(nodes, lo + 1)));
        link_preorder(nodes, lo + 1, left);
    }
    if right > 0 {
        at(nodes, lo).link[1].set(Some(at(nodes, lo + 1 + left)));
        link_preorder(nodes, lo + 1 + left, right);
    }
}

fn build_local(nodes: &Slots, r: &mut Rng) -> Gc<Node> {
    let n = nodes.len() as i64;
    link_preorder(nodes, 0, n as usize);
    for i in 0..n {
        let node = at(nodes, i as usize);
        for k in 2..4 {
            let off = r.below(2 * WINDOW + 1) as i64 - WINDOW as i64;
            node.link[k].set(Some(at(nodes, (i + off).rem_euclid(n) as usize)));
        }
    }
    at(nodes, 0)
}

/// Builds the graph of `n` nodes of `shape` on a goroutine of its own and returns its root as
/// a `Root` (the node array and every stack that saw it are gone when this returns).
pub fn build(shape: Shape, n: usize) -> Root<Node> {
    assert!(n > 0, "w7: no nodes");
    go(move || {
        let mut r = Rng::new();
        let nodes = alloc_nodes(n);
        let root = match shape {
            Shape::Random => build_random(&nodes, &mut r),
            Shape::Local => build_local(&nodes, &mut r),
        };
        Root::new(root)
    })
    .join()
    .expect("w7: the builder goroutine panicked")
}

/// The nodes reachable through links 0 and 1.
pub fn count_tree(root: Option<Gc<Node>>) -> usize {
    match root {
        None => 0,
        Some(n) => 1 + count_tree(n.link[0].get()) + count_tree(n.link[1].get()),
    }
}

/// `k` explicit full collections (`collect()`, which marks and finishes the sweep, like Go's
/// `runtime.GC()`); returns their total time.
pub fn collections(k: u32) -> Duration {
    let start = Instant::now();
    for _ in 0..k {
        collect();
    }
    start.elapsed()
}

/// One shape's measurement, as the peers' `measure`.
#[derive(Clone, Copy, Debug)]
pub struct Measured {
    /// Nodes built.
    pub nodes: usize,
    /// Building the graph.
    pub build: Duration,
    /// Live bytes the collector found at the last untimed collection (`MemStats::last_marked`).
    pub live: usize,
    /// `MemStats::heap_alloc` at the same point (Go's `HeapAlloc`).
    pub heap_alloc: usize,
    /// The `COLLECTIONS` timed collections.
    pub elapsed: Duration,
}

impl Measured {
    /// MB (10^6 B) of nodes (at `NODE_SIZE` each) marked per second.
    pub fn mark_rate(&self) -> f64 {
        (self.nodes * NODE_SIZE) as f64 / 1e6 * COLLECTIONS as f64 / self.elapsed.as_secs_f64()
    }
}

/// Builds `n` nodes of `shape`, collects twice untimed, times `COLLECTIONS` collections, then
/// walks the tree and checks every node is still there. Runs on a goroutine of its own, so that
/// when it returns no stack the collector scans holds stale pointers into this graph (the next
/// shape's collections must not mark it).
pub fn measure(shape: Shape, n: usize) -> Measured {
    go(move || measure_here(shape, n)).join().expect("w7: the measuring goroutine panicked")
}

fn measure_here(shape: Shape, n: usize) -> Measured {
    let t0 = Instant::now();
    let root = build(shape, n);
    let build = t0.elapsed();

    collect(); // the node array is garbage now; the graph is all that is left
    collect();
    let s = tricolor_gc::stats();

    let elapsed = collections(COLLECTIONS);

    let got = count_tree(Some(root.get()));
    assert_eq!(got, n, "w7 {}: the tree has {got} nodes after the collections, want {n}", shape.name());
    drop(root);
    Measured { nodes: n, build, live: s.last_marked, heap_alloc: s.heap_alloc, elapsed }
}
