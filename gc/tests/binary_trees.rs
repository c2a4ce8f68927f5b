//! binary-trees at depth 16 (the Benchmarks Game program, single-threaded, as benches W2 and
//! its peers run it): the exact standard output, and peak memory bounded by the live heap.
//!
//! Runs with `TRICOLOR_DEBUG=gctrace=1`, so the log shows every cycle (the trace goes to the
//! process's stderr from the runtime's threads; `cargo test` does not capture it).

mod common;

use std::fmt::Write as _;
use tricolor_gc::{raw, stats, Gc, Trace};
use tricolor_runtime::block_on;

const MIN_DEPTH: u32 = 4;
const N: u32 = 16;

/// The program's output for N = 16, as every implementation prints it
/// (`benches/peers/expected/w2_binarytrees-16.txt`).
const EXPECTED_16: &str = "\
stretch tree of depth 17\t check: 262143
65536\t trees of depth 4\t check: 2031616
16384\t trees of depth 6\t check: 2080768
4096\t trees of depth 8\t check: 2093056
1024\t trees of depth 10\t check: 2096128
256\t trees of depth 12\t check: 2096896
64\t trees of depth 14\t check: 2097088
16\t trees of depth 16\t check: 2097136
long lived tree of depth 16\t check: 131071
";

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

/// Nodes in a tree of `depth`: the check value of one tree.
fn nodes(depth: u32) -> u64 {
    (1 << (depth + 1)) - 1
}

/// The program's output computed from the formulas alone (no trees).
fn expected_output(n: u32) -> String {
    let max_depth = n.max(MIN_DEPTH + 2);
    let mut s = format!("stretch tree of depth {}\t check: {}\n", max_depth + 1, nodes(max_depth + 1));
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        writeln!(s, "{iterations}\t trees of depth {depth}\t check: {}", iterations * nodes(depth)).unwrap();
    }
    writeln!(s, "long lived tree of depth {max_depth}\t check: {}", nodes(max_depth)).unwrap();
    s
}

/// The program, printing into a string.
fn binary_trees(n: u32) -> String {
    let max_depth = n.max(MIN_DEPTH + 2);
    let stretch_depth = max_depth + 1;
    let mut out = String::new();
    writeln!(out, "stretch tree of depth {stretch_depth}\t check: {}", item_check(&bottom_up_tree(stretch_depth))).unwrap();
    let long_lived = bottom_up_tree(max_depth);
    for depth in (MIN_DEPTH..=max_depth).step_by(2) {
        let iterations = 1u64 << (max_depth - depth + MIN_DEPTH);
        let check: u64 = (0..iterations).map(|_| item_check(&bottom_up_tree(depth))).sum();
        writeln!(out, "{iterations}\t trees of depth {depth}\t check: {check}").unwrap();
    }
    writeln!(out, "long lived tree of depth {max_depth}\t check: {}", item_check(&long_lived)).unwrap();
    std::hint::black_box(long_lived);
    out
}

/// A `/proc/self/status` field in bytes.
fn proc_status_bytes(field: &str) -> usize {
    let s = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let line = s.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kb: usize = line[field.len()..].trim().trim_end_matches("kB").trim().parse().expect("a number of kB");
    kb << 10
}

/// Resets the peak-RSS counter (`VmHWM`) to the current RSS, where the kernel allows it
/// (`echo 5 > /proc/self/clear_refs`, Linux 4.0+). Returns whether it did.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

#[test]
fn expected_output_formula_matches_the_known_text() {
    assert_eq!(expected_output(N), EXPECTED_16);
    assert_eq!(
        expected_output(16),
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../benches/peers/expected/w2_binarytrees-16.txt"))
            .unwrap_or_else(|_| EXPECTED_16.to_string())
    );
}

#[test]
fn binary_trees_16_prints_the_standard_output_in_bounded_memory() {
    common::debug_modes("gctrace=1");
    let (out, baseline, peak, node_slot, gc_percent, num_gc) = block_on(|| {
        // Start the collector and learn the node's slot size (payload + header, rounded up to
        // its size class).
        let probe = Gc::new(Node { left: None, right: None });
        let node_slot = raw::object_info(probe.addr()).expect("live").slot_size;
        let gc0 = stats().num_gc;
        let reset = reset_peak_rss();
        let baseline = if reset { proc_status_bytes("VmRSS:") } else { proc_status_bytes("VmHWM:") };
        let out = binary_trees(N);
        let peak = proc_status_bytes("VmHWM:");
        let s = stats();
        (out, baseline, peak, node_slot, s.gc_percent, s.num_gc - gc0)
    });
    print!("{out}");
    assert_eq!(out, expected_output(N), "output differs from the formula");
    assert_eq!(out, EXPECTED_16, "output differs from the known text");

    // Memory bound. The most live data at once is a tree of depth 17 (stretch) or the
    // long-lived tree plus one tree of depth 16 — 262,143 nodes either way; we allow the
    // long-lived tree *and* the stretch tree (393,214 nodes), since a stale stack word may keep
    // the dead stretch tree alive (conservative scanning) while the long-lived one is built.
    // The pacer lets the heap grow to live × (1 + GOGC/100) before collecting; we allow twice
    // that for fragmentation (partly filled spans of the iteration trees), per-span metadata,
    // mark bitmaps and the page map, goroutine stacks, and the allocation overshoot of the
    // cycle that finds the goal reached.
    let live = (nodes(N) + nodes(N + 1)) as usize * node_slot;
    if gc_percent < 0 {
        eprintln!("binary_trees: GC off (TRICOLOR_GC_PERCENT), not checking memory");
        return;
    }
    let bound = 2 * live * (100 + gc_percent as usize) / 100;
    let grew = peak.saturating_sub(baseline);
    eprintln!(
        "binary_trees: {num_gc} collections; peak RSS {} KiB over a {} KiB baseline (+{} KiB); live bound {} KiB ({node_slot}-byte nodes), RSS bound {} KiB",
        peak >> 10,
        baseline >> 10,
        grew >> 10,
        live >> 10,
        bound >> 10
    );
    assert!(num_gc > 10, "only {num_gc} collections: the trees were never collected");
    assert!(grew <= bound, "peak RSS grew by {grew} bytes, more than 2 × live {live} × (1 + {gc_percent}/100) = {bound}");
}
