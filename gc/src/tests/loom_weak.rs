//! Loom models of the weak-to-strong protocol (`weak/protocol.rs`, steps F1-F3 and S1-S6),
//! running the production `WeakState` with a modelled heap.

use crate::phase::{PhaseWord, WorldToken};
use crate::weak::protocol::{Env, Slow, WeakState};
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use loom::sync::Arc;

const OBJ: usize = 0x1000;

/// The referent's span: swept or not, with sweep ownership taken by CAS (invariant 11).
struct ModelHeap {
    cell: AtomicUsize,
    owner: AtomicBool,
    swept: AtomicBool,
    /// Set by the terminator once `block` returned.
    terminated: AtomicBool,
}

impl ModelHeap {
    fn sweep_dead_object(&self) {
        if self.owner.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            // The object died last cycle: its cell clears before the span counts as swept.
            self.cell.store(0, Ordering::Release);
            self.swept.store(true, Ordering::Release);
        } else {
            while !self.swept.load(Ordering::Acquire) {
                loom::thread::yield_now();
            }
        }
    }
}

impl Env for ModelHeap {
    fn ensure_swept(&self, _referent: usize) {
        self.sweep_dead_object();
    }
    fn shade(&self, _referent: usize) {
        assert!(!self.terminated.load(Ordering::Acquire), "a weak upgrade shaded after mark termination began (invariant 8)");
    }
}

/// The collector's weak state with the phase word it reads.
#[derive(Default)]
struct Collector {
    ws: WeakState,
    phase: PhaseWord,
}

fn upgrade(c: &Collector, h: &ModelHeap) -> usize {
    let ws = &c.ws;
    if let Some(v) = ws.upgrade_fast(&c.phase, &h.cell) {
        return v;
    }
    loop {
        match ws.upgrade_slow(&c.phase, &h.cell, h) {
            Slow::Done(v) => return v,
            Slow::Blocked => {
                while ws.is_blocked() {
                    loom::thread::yield_now();
                }
            }
        }
    }
}

/// The object died in cycle 1. A sweeper clears its cell and declares the sweep complete,
/// while a goroutine upgrades: in every interleaving the upgrade returns nothing — through the
/// fast path only after SWEPT (set after the clear), through the slow path after sweeping the
/// span itself or waiting for its sweeper.
#[test]
fn upgrade_never_returns_an_object_the_sweeper_clears() {
    loom::model(|| {
        let ws = Arc::new(Collector::default());
        ws.phase.begin_mark(WorldToken::model());
        ws.phase.end_mark(WorldToken::model(), 1); // cycle 1 ended: its sweep begins; the object was found dead
        let h = Arc::new(ModelHeap {
            cell: AtomicUsize::new(OBJ),
            owner: AtomicBool::new(false),
            swept: AtomicBool::new(false),
            terminated: AtomicBool::new(false),
        });
        let sweeper = {
            let (ws, h) = (ws.clone(), h.clone());
            loom::thread::spawn(move || {
                h.sweep_dead_object();
                ws.phase.sweep_complete(1);
            })
        };
        assert_eq!(upgrade(&ws, &h), 0, "upgrade returned an object the collector found dead");
        sweeper.join().unwrap();
    });
}

/// Marking is on; the terminator blocks upgrades, then starts mark termination. An upgrader
/// (slow path: marking is on) may shade before the block, never after (invariant 8): the S1
/// announcement and the `block` fence form a store-buffering pair.
#[test]
fn no_shade_after_the_termination_block() {
    loom::model(|| {
        let ws = Arc::new(Collector::default());
        ws.phase.begin_mark(WorldToken::model());
        let h = Arc::new(ModelHeap {
            cell: AtomicUsize::new(OBJ),
            owner: AtomicBool::new(true), // live object: its span is swept
            swept: AtomicBool::new(true),
            terminated: AtomicBool::new(false),
        });
        let terminator = {
            let (ws, h) = (ws.clone(), h.clone());
            loom::thread::spawn(move || {
                ws.ws.block();
                ws.phase.begin_mark_termination(WorldToken::model());
                h.terminated.store(true, Ordering::Release);
                ws.phase.end_mark(WorldToken::model(), 1);
                ws.ws.unblock();
            })
        };
        let v = upgrade(&ws, &h);
        assert_eq!(v, OBJ, "a live object must upgrade");
        terminator.join().unwrap();
    });
}
