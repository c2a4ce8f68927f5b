//! Loom model of `LfStack` (`mark/lfstack.rs`, steps 1-4): concurrent pushes and pops of
//! never-freed nodes. Checked in every interleaving: each pushed node is popped exactly once,
//! and a node's payload written before its push is seen by its popper (Release/Acquire).

use crate::mark::lfstack::{LfNode, LfStack};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;

#[repr(C)]
struct Node {
    link: LfNode,
    payload: AtomicUsize,
}

fn node(v: usize) -> &'static Node {
    Box::leak(Box::new(Node { link: LfNode::default(), payload: AtomicUsize::new(v) }))
}

fn pop_value(s: &LfStack) -> Option<usize> {
    let n = s.pop();
    // SAFETY: every node in the model is a leaked `Node` whose first field is the link.
    (!n.is_null()).then(|| unsafe { &*(n as *const Node) }.payload.load(Ordering::Relaxed))
}

#[test]
fn push_pop_race_loses_and_duplicates_nothing() {
    loom::model(|| {
        let s = Arc::new(LfStack::new());
        let (a, b) = (node(1), node(2));
        // SAFETY: fresh never-freed nodes we own.
        unsafe { s.push(&a.link) };
        let t = {
            let s = s.clone();
            loom::thread::spawn(move || {
                // SAFETY: as above.
                unsafe { s.push(&b.link) };
                pop_value(&s)
            })
        };
        let mine = pop_value(&s);
        let theirs = t.join().unwrap();
        let mut got: Vec<usize> = [mine, theirs, pop_value(&s), pop_value(&s)].into_iter().flatten().collect();
        got.sort_unstable();
        assert_eq!(got, vec![1, 2], "a node was lost or popped twice");
        assert!(s.is_empty());
    });
}

#[test]
fn aba_pop_push_pop_is_rejected() {
    // A pops (reads top = a, next = b), B pops a and b and pushes a back: A's CAS must fail
    // rather than install the stale `next` (b, now popped).
    loom::model(|| {
        let s = Arc::new(LfStack::new());
        let (a, b) = (node(1), node(2));
        // SAFETY: fresh never-freed nodes we own.
        unsafe {
            s.push(&b.link);
            s.push(&a.link);
        }
        let t = {
            let s = s.clone();
            loom::thread::spawn(move || {
                let x = s.pop();
                let y = s.pop();
                if !x.is_null() {
                    // SAFETY: we popped it, so we own it again.
                    unsafe { s.push(x) };
                }
                y
            })
        };
        let mine = s.pop();
        let y = t.join().unwrap();
        let mut seen = vec![];
        for p in [mine, y, s.pop(), s.pop()] {
            if !p.is_null() {
                seen.push(p as usize);
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 2, "lost or duplicated nodes");
    });
}
