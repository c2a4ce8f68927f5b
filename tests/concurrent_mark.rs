//! Issue 10: the stress test of concurrent marking. Four goroutines on 2 procs mutate a random
//! graph — link, unlink, move subgraphs between goroutines through a shared table of `GcCell`s
//! inside a `GcArray`, keep subgraphs only on their stacks and in registers while allocating,
//! build raw-API chains with `raw::write_ptr` — while a fifth goroutine collects back to back.
//! `gccheckmark=1` re-marks from scratch inside every stop #2 and aborts on anything the
//! concurrent mark missed; `poisonfree=1` poisons freed memory, and every node carries a
//! checksum the walkers verify, so an object freed while reachable shows up as a bad sum.
//!
//! `TRICOLOR_STRESS_SECS` (default 3) bounds the run; `scripts/soak.sh` style soaks run it
//! longer (`TRICOLOR_STRESS_SECS=300 cargo test --release --test concurrent_mark`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::{collect, raw, Gc, GcArray, GcCell, Root, Trace, TypeInfo};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::{go, Runtime};

const K: u64 = 0x9e37_79b9_7f4a_7c15;
const TABLE: usize = 256;
const KIDS: usize = 4;

#[derive(Trace)]
struct Node {
    id: u64,
    sum: u64,
    kids: GcArray<GcCell<Option<Gc<Node>>>>,
}

fn node(id: u64) -> Gc<Node> {
    Gc::new(Node { id, sum: id.wrapping_mul(K), kids: GcArray::from_fn(KIDS, |_| GcCell::new(None)) })
}

fn check(n: Gc<Node>) {
    assert_eq!(n.id.wrapping_mul(K), n.sum, "node {:#x}: checksum broken (freed while reachable?)", n.addr());
}

/// Walks up to `depth` levels below `n`, checking every node; returns how many it saw.
fn walk(n: Gc<Node>, depth: u32) -> u64 {
    check(n);
    let mut seen = 1;
    if depth > 0 {
        for k in n.kids.iter() {
            if let Some(c) = k.get() {
                seen += walk(c, depth - 1);
            }
        }
    }
    seen
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A raw cons cell: `next` (pointer word 0), `val` (word 1, an integer), `check` (word 2).
fn cons_type() -> &'static TypeInfo {
    static T: std::sync::OnceLock<&'static TypeInfo> = std::sync::OnceLock::new();
    T.get_or_init(|| TypeInfo::from_bitmap("stress::Cons", 24, &[0b001]).expect("cons bitmap"))
}

fn cons(next: usize, val: u64) -> usize {
    let c = raw::alloc(cons_type()).expect("raw alloc").as_ptr() as usize;
    raw::write_ptr(c, 0, next).expect("write next");
    // SAFETY: words 1 and 2 of a fresh 24-byte payload we own; integers, not pointers.
    unsafe {
        ((c + 8) as *mut u64).write(val);
        ((c + 16) as *mut u64).write(val.wrapping_mul(K));
    }
    c
}

/// Checks a raw chain; returns its length.
fn walk_chain(mut c: usize) -> u64 {
    let mut n = 0;
    while c != 0 {
        // SAFETY: a live cons cell (reachable from our stack).
        let (v, s) = unsafe { (((c + 8) as *const u64).read(), ((c + 16) as *const u64).read()) };
        assert_eq!(v.wrapping_mul(K), s, "raw cons {c:#x}: checksum broken (freed while reachable?)");
        c = raw::read_ptr(c, 0).expect("read next");
        n += 1;
    }
    n
}

#[inline(never)]
fn mutator(table: Gc<GcArray<GcCell<Option<Gc<Node>>>>>, seed: u64, stop: Arc<AtomicBool>, ops: Arc<AtomicU64>, ids: Arc<AtomicU64>) {
    let mut r = Rng(seed | 1);
    // Held only here: on this goroutine's stack and in registers.
    let mut hand: Option<Gc<Node>> = None;
    let mut chain = 0usize;
    let mut chain_len = 0u64;
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let slot = &table[r.below(TABLE as u64) as usize];
        match r.below(10) {
            // Link a fresh node under a table node, or into an empty slot.
            0..=2 => {
                let fresh = node(ids.fetch_add(1, Ordering::Relaxed));
                match slot.get() {
                    Some(t) => t.kids[r.below(KIDS as u64) as usize].set(Some(fresh)),
                    None => slot.set(Some(fresh)),
                }
            }
            // Unlink a kid.
            3 => {
                if let Some(t) = slot.get() {
                    t.kids[r.below(KIDS as u64) as usize].set(None);
                }
            }
            // Move: a subgraph leaves the table for our hand (only our stack has it), then
            // goes back elsewhere after some allocation.
            4 => match hand.take() {
                None => {
                    hand = slot.get();
                    slot.set(None);
                    for _ in 0..r.below(64) {
                        std::hint::black_box(node(0));
                    }
                }
                Some(h) => {
                    walk(h, 6);
                    match slot.get() {
                        Some(t) => t.kids[r.below(KIDS as u64) as usize].set(Some(h)),
                        None => slot.set(Some(h)),
                    }
                }
            },
            // Verify.
            5..=6 => {
                if let Some(t) = slot.get() {
                    walk(t, 4);
                }
            }
            // Raw chain: grow, or cut back to empty.
            7..=8 => {
                chain = cons(chain, r.next());
                chain_len += 1;
                if chain_len > 2000 {
                    assert_eq!(walk_chain(chain), chain_len);
                    chain = 0;
                    chain_len = 0;
                }
            }
            _ => {
                // Garbage.
                for _ in 0..16 {
                    std::hint::black_box(node(1));
                }
            }
        }
        n += 1;
    }
    assert_eq!(walk_chain(chain), chain_len);
    if let Some(h) = hand {
        walk(h, 6);
    }
    ops.fetch_add(n, Ordering::Relaxed);
}

#[test]
fn four_mutators_and_back_to_back_collections_lose_nothing() {
    std::env::set_var("TRICOLOR_DEBUG", "gcstoptheworld=0,gccheckmark=1,poisonfree=1");
    let secs: u64 = std::env::var("TRICOLOR_STRESS_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let _hang = watchdog("concurrent mark stress", Duration::from_secs(secs + 120));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(move || {
        let table = Root::new(Gc::new(GcArray::from_fn(TABLE, |_| GcCell::new(None::<Gc<Node>>))));
        let stop = Arc::new(AtomicBool::new(false));
        let ops = Arc::new(AtomicU64::new(0));
        let ids = Arc::new(AtomicU64::new(2));
        let cycles0 = tricolor::gc::stats().num_gc;
        let mutators: Vec<_> = (0..4u64)
            .map(|i| {
                let (t, stop, ops, ids) = (table.get(), stop.clone(), ops.clone(), ids.clone());
                go(move || mutator(t, 0x1234_5678 + i * 7919, stop, ops, ids))
            })
            .collect();
        let collector = {
            let stop = stop.clone();
            go(move || {
                while !stop.load(Ordering::Relaxed) {
                    collect();
                }
            })
        };
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(secs) {
            tricolor::runtime::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::Relaxed);
        for m in mutators {
            m.join().unwrap();
        }
        collector.join().unwrap();
        collect();
        let mut seen = 0;
        for s in table.iter() {
            if let Some(n) = s.get() {
                seen += walk(n, 64);
            }
        }
        let st = tricolor::gc::stats();
        let stw = tricolor::runtime::stw_stats();
        eprintln!(
            "concurrent mark stress: {} ops, {} cycles, {seen} nodes reachable at the end, longest stop {:?}",
            ops.load(Ordering::Relaxed),
            st.num_gc - cycles0,
            stw.max
        );
        assert!(st.num_gc - cycles0 >= 5, "too few collections ran: {}", st.num_gc - cycles0);
    });
}
