//! W4 "pauses" (`../shared/WORKLOADS.md`): about 1 GiB of 32-byte two-pointer nodes in complete
//! binary trees of depth 14 (1 MiB each), then for 10 s one mutator replaces random depth-10
//! subtrees (64 KiB) with fresh ones while the collector runs. Reports the collections, the
//! longest and 99th-percentile stop-the-world pause of that phase, the worst single operation
//! (one subtree replacement) the mutator saw, and operations per second.
//!
//! A node is 24 bytes of payload (two `GcCell` links and a value) plus the 8-byte header: one
//! 32-byte slot, the Go and C peers' node size. The trees hang off a `GcArray` under a `Root`.

use crate::report::{metric, peak_rss};
use std::time::{Duration, Instant};
use tricolor_gc::{collect, Gc, GcArray, GcCell, Root, Trace};

/// Depth of each tree (2^15 - 1 nodes, 1 MiB).
pub const DEPTH: u32 = 14;
/// Depth of a replaced subtree (2^11 - 1 nodes, 64 KiB).
pub const SUB_DEPTH: u32 = 10;

#[derive(Trace)]
struct Node {
    left: GcCell<Option<Gc<Node>>>,
    right: GcCell<Option<Gc<Node>>>,
    v: u64,
}

fn build(depth: u32) -> Gc<Node> {
    let (l, r) = if depth == 0 { (None, None) } else { (Some(build(depth - 1)), Some(build(depth - 1))) };
    Gc::new(Node { left: GcCell::new(l), right: GcCell::new(r), v: depth as u64 })
}

fn count(n: Gc<Node>) -> u64 {
    1 + n.left.get().map_or(0, count) + n.right.get().map_or(0, count)
}

/// What the replacement phase measured.
#[derive(Debug)]
pub struct W4 {
    /// Subtree replacements done.
    pub ops: u64,
    /// How long they took.
    pub elapsed: Duration,
    /// The longest single replacement.
    pub worst_op: Duration,
    /// Collections that ran meanwhile.
    pub cycles: u64,
    /// Longest stop-the-world pause meanwhile (histogram bucket top).
    pub max_pause: Duration,
    /// 99th-percentile pause (as `max_pause`).
    pub p99_pause: Duration,
    /// Stop-the-world pauses meanwhile.
    pub pauses: u64,
}

/// Builds `mib` trees (1 MiB each), then replaces subtrees for `secs`.
pub fn run(mib: usize, secs: f64) -> W4 {
    let trees = Root::new(Gc::new(GcArray::from_fn(mib, |_| GcCell::new(None::<Gc<Node>>))));
    let t0 = Instant::now();
    for t in trees.iter() {
        t.set(Some(build(DEPTH)));
    }
    println!("info built {mib} trees in {:?}", t0.elapsed());
    collect();
    let gc0 = tricolor_gc::stats().num_gc;
    let h0 = tricolor_runtime::stw_histogram();
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let (mut ops, mut worst) = (0u64, Duration::ZERO);
    let start = Instant::now();
    let limit = Duration::from_secs_f64(secs);
    while start.elapsed() < limit {
        let t0 = Instant::now();
        let r = next();
        let mut n = trees[(r % mib as u64) as usize].get().expect("tree");
        // Down DEPTH - SUB_DEPTH - 1 levels, then replace one child: a depth-SUB_DEPTH subtree.
        for level in 0..DEPTH - SUB_DEPTH - 1 {
            let c = if r >> (20 + level) & 1 == 0 { &n.left } else { &n.right };
            n = c.get().expect("inner node");
        }
        let fresh = build(SUB_DEPTH);
        if r >> 40 & 1 == 0 {
            n.left.set(Some(fresh));
        } else {
            n.right.set(Some(fresh));
        }
        worst = worst.max(t0.elapsed());
        ops += 1;
    }
    let elapsed = start.elapsed();
    let st = tricolor_gc::stats();
    let cycles = st.num_gc - gc0;
    // Where a stall may come from: the longest assist (the mutator marking for its allocation).
    println!(
        "info assists: longest {:?}, marking {:?}, parked {:?} ({} parks); termination restarts {}",
        st.assist_max, st.assist_total, st.assist_parked, st.assist_parks, st.mark_restarts
    );
    let h1 = tricolor_runtime::stw_histogram();
    // The replacement phase's pauses: the histogram's growth.
    let mut delta: Vec<(Duration, u64)> =
        h1.iter().map(|&(top, n)| (top, n - h0.iter().find(|&&(t, _)| t == top).map_or(0, |&(_, m)| m))).filter(|&(_, n)| n > 0).collect();
    delta.sort();
    let pauses: u64 = delta.iter().map(|&(_, n)| n).sum();
    let quantile = |q: f64| {
        let want = ((q * pauses as f64).ceil() as u64).max(1);
        let mut seen = 0;
        delta
            .iter()
            .find(|&&(_, n)| {
                seen += n;
                seen >= want
            })
            .map_or(Duration::ZERO, |&(t, _)| t)
    };
    let w = W4 { ops, elapsed, worst_op: worst, cycles, max_pause: quantile(1.0), p99_pause: quantile(0.99), pauses };
    // Every tree is whole: a collector that lost nodes fails here instead of looking fast.
    let expect = (1u64 << (DEPTH + 1)) - 1;
    for t in trees.iter() {
        assert_eq!(count(t.get().expect("tree")), expect, "w4: a tree lost nodes");
    }
    w
}

/// Prints W4's metric lines.
pub fn report(w: &W4) {
    metric("gc_count", w.cycles as f64, "count");
    metric("max_pause", w.max_pause.as_secs_f64() * 1e3, "ms");
    metric("p99_pause", w.p99_pause.as_secs_f64() * 1e3, "ms");
    metric("worst_stall", w.worst_op.as_secs_f64() * 1e3, "ms");
    metric("ops", w.ops as f64 / w.elapsed.as_secs_f64(), "ops/s");
    peak_rss();
}
