//! The Benchmarks Game's binary-trees on Tricolor's collected heap, through the facade: a
//! stretch tree of depth N+1, a long-lived tree of depth N, then 2^(N−d+4) trees of each depth
//! d = 4, 6, …, N built bottom-up and checked. The output lines are the standard ones; the
//! collector's work is visible with its trace on (one line per cycle on stderr, Go's format):
//!
//! ```sh
//! TRICOLOR_DEBUG=gctrace=1 cargo run --release --example binary_trees        # N = 21
//! TRICOLOR_DEBUG=gctrace=1 cargo run --release --example binary_trees -- 16
//! ```
//!
//! The same program is workload W2 (`benches/src/w2.rs`, compared with Go and bdwgc by
//! `benches/run.sh`).

use std::time::Instant;
use tricolor::gc::{stats, Gc, Trace};
use tricolor::runtime::Runtime;

#[derive(Trace)]
struct Node {
    left: Option<Gc<Node>>,
    right: Option<Gc<Node>>,
}

fn bottom_up_tree(depth: u32) -> Gc<Node> {
    if depth == 0 {
        return Gc::new(Node { left: None, right: None });
    }
    let left = bottom_up_tree(depth - 1);
    let right = bottom_up_tree(depth - 1);
    Gc::new(Node { left: Some(left), right: Some(right) })
}

fn item_check(n: &Node) -> u64 {
    match (n.left, n.right) {
        (Some(l), Some(r)) => 1 + item_check(&l) + item_check(&r),
        _ => 1,
    }
}

fn main() {
    let n: u32 = match std::env::args().nth(1) {
        Some(a) => a.parse().unwrap_or_else(|_| panic!("binary_trees: N must be a number, got {a:?}")),
        None => 21,
    };
    let t = Instant::now();
    let s = Runtime::global().block_on(move || {
        let min_depth = 4;
        let max_depth = n.max(min_depth + 2);
        let stretch_depth = max_depth + 1;
        println!("stretch tree of depth {stretch_depth}\t check: {}", item_check(&bottom_up_tree(stretch_depth)));

        let long_lived = bottom_up_tree(max_depth);

        let mut depth = min_depth;
        while depth <= max_depth {
            let iterations = 1u64 << (max_depth - depth + min_depth);
            let check: u64 = (0..iterations).map(|_| item_check(&bottom_up_tree(depth))).sum();
            println!("{iterations}\t trees of depth {depth}\t check: {check}");
            depth += 2;
        }
        println!("long lived tree of depth {max_depth}\t check: {}", item_check(&long_lived));
        stats()
    });
    let elapsed = t.elapsed();
    eprintln!(
        "binary_trees: {:.2} s, {} collections, pauses {:?} total, {:?} max; {} objects allocated; peak RSS {} KiB",
        elapsed.as_secs_f64(),
        s.num_gc,
        s.pause_total,
        s.pauses.iter().max().copied().unwrap_or_default(),
        s.mallocs,
        peak_rss_kib()
    );
}

/// VmHWM from /proc/self/status, KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:")).and_then(|v| v.split_whitespace().next()?.parse().ok()))
        .unwrap_or(0)
}
