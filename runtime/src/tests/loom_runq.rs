//! Loom models of a P's local run queue (`runq/local.rs`, protocol steps 1-3) with capacity 4:
//! the owner pushes and pops while a thief steals half. Checked in every interleaving: every
//! pushed item comes out exactly once — from the owner's pops, the thief's steal, or an
//! overflow batch bound for the global queue.

use crate::runq::local::{LocalQueue, PushOutcome};
use loom::sync::Arc;

fn item(v: u32) -> &'static u32 {
    Box::leak(Box::new(v))
}

/// A thief M: steals from `q` into its own queue, then drains that queue.
fn spawn_thief(q: &Arc<LocalQueue<u32>>, steal_next: bool) -> loom::thread::JoinHandle<Vec<u32>> {
    let q = q.clone();
    loom::thread::spawn(move || {
        let mine: LocalQueue<u32> = LocalQueue::new();
        let mut got: Vec<u32> = q.steal_into(&mine, steal_next).into_iter().copied().collect();
        while let Some((v, _)) = mine.pop() {
            got.push(*v);
        }
        got
    })
}

fn check_exactly_once(mut seen: Vec<u32>, n: u32) {
    seen.sort_unstable();
    assert_eq!(seen, (0..n).collect::<Vec<_>>(), "items lost or duplicated");
}

#[test]
fn push_pop_vs_steal() {
    loom::model(|| {
        let q: Arc<LocalQueue<u32>> = Arc::new(LocalQueue::new());
        for v in 0..3 {
            assert!(matches!(q.push(item(v), false), PushOutcome::Pushed));
        }
        let thief = spawn_thief(&q, false);
        let mut seen = Vec::new();
        while let Some((v, _)) = q.pop() {
            seen.push(*v);
        }
        seen.extend(thief.join().unwrap());
        check_exactly_once(seen, 3);
    });
}

#[test]
fn overflow_vs_steal() {
    loom::model(|| {
        let q: Arc<LocalQueue<u32>> = Arc::new(LocalQueue::new());
        for v in 0..4 {
            assert!(matches!(q.push(item(v), false), PushOutcome::Pushed));
        }
        let thief = spawn_thief(&q, false);
        // The fifth push overflows unless the thief made room first.
        let mut seen = Vec::new();
        if let PushOutcome::Overflow(batch) = q.push(item(4), false) {
            seen.extend(batch.into_iter().copied());
        }
        while let Some((v, _)) = q.pop() {
            seen.push(*v);
        }
        seen.extend(thief.join().unwrap());
        check_exactly_once(seen, 5);
    });
}

#[test]
fn runnext_kick_vs_steal() {
    loom::model(|| {
        let q: Arc<LocalQueue<u32>> = Arc::new(LocalQueue::new());
        assert!(matches!(q.push(item(0), true), PushOutcome::Pushed));
        let thief = spawn_thief(&q, true);
        // Kicks item 0 from runnext to the ring (unless stolen first).
        assert!(matches!(q.push(item(1), true), PushOutcome::Pushed));
        let mut seen = Vec::new();
        while let Some((v, _)) = q.pop() {
            seen.push(*v);
        }
        seen.extend(thief.join().unwrap());
        check_exactly_once(seen, 2);
    });
}
