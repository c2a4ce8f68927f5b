//! The pool's lock-free side on plain threads: every pushed block is popped exactly once, and
//! W1 asks for goroutines (instead of waking nobody) when no consumer sleeps.

use crate::pool::Pool;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tricolor_gc::internals::LfNode;

#[test]
fn every_block_is_taken_once() {
    const PER: usize = 5_000;
    let pool = Arc::new(Pool::new());
    let nodes: &'static [LfNode] = Box::leak((0..2 * PER).map(|_| LfNode::default()).collect());
    let got = Arc::new(Mutex::new(HashSet::new()));
    let producers: Vec<_> = (0..2)
        .map(|t| {
            let pool = pool.clone();
            std::thread::spawn(move || {
                for n in &nodes[t * PER..(t + 1) * PER] {
                    // SAFETY: each node is pushed once and never freed (leaked).
                    unsafe { pool.push(n) };
                }
            })
        })
        .collect();
    let taken = Arc::new(AtomicUsize::new(0));
    let consumers: Vec<_> = (0..2)
        .map(|_| {
            let (pool, got, taken) = (pool.clone(), got.clone(), taken.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                while taken.load(Ordering::SeqCst) < 2 * PER {
                    let n = pool.try_dequeue();
                    if !n.is_null() {
                        mine.push(n as usize);
                        taken.fetch_add(1, Ordering::SeqCst);
                    }
                }
                let mut g = got.lock().unwrap();
                for m in mine {
                    assert!(g.insert(m), "a block was taken twice");
                }
            })
        })
        .collect();
    for t in producers.into_iter().chain(consumers) {
        t.join().unwrap();
    }
    assert_eq!(got.lock().unwrap().len(), 2 * PER);
    assert!(pool.try_dequeue().is_null());
    assert_eq!(pool.asleep(), 0);
    assert!(pool.wants_g(), "W1 with no sleepers asks for goroutines");
    assert!(pool.take_needg() > 0);
    assert!(!pool.wants_g());
}
