//! Model-based random test of cleanups against an oracle of what is reachable and what was
//! stopped. Random steps — replace an object in a rooted table (the old one becomes
//! unreachable), register cleanups on live objects (whole or interior), stop some, collect —
//! and after every collection the strict properties hold:
//!
//! - no cleanup runs while its object is still in the table (reachable);
//! - a stopped cleanup never runs; a cleanup runs at most once, with its own argument;
//!
//! and at the end, once the table is dropped (on a goroutine of its own, so no stale stack
//! word keeps anything), every cleanup that was not stopped has run exactly once. Several
//! seeds, under `gccheckmark=1,poisonfree=1`; `TRICOLOR_MODEL_STEPS` (default 20,000) sets
//! the steps per seed.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tricolor_cleanup::{add, add_at, Cleanup};
use tricolor_gc::{collect, Gc, GcArray, GcCell};
use tricolor_runtime::block_on;

mod common;

const SLOTS: usize = 64;
const MAX_CLEANUPS: usize = 20_000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Oracle state per registered cleanup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
    /// Its object is in the table.
    Live,
    /// Its object left the table: it must run eventually.
    Dead,
    /// Stopped while its object was live: must never run.
    Stopped,
    /// Stopped after its object left the table: if the object had not been swept yet the stop
    /// cancelled it, else it was queued already and runs; at most once either way.
    Maybe,
}

struct Model {
    /// How many times each cleanup ran (shared with the cleanups).
    runs: Arc<Vec<AtomicU8>>,
    /// Cleanup id → (fate, slot it was registered in, its handle).
    cleanups: Vec<(Fate, usize, Cleanup)>,
    /// Per table slot: the cleanups registered on its current object.
    by_slot: Vec<Vec<usize>>,
    wrong_arg: Arc<Mutex<Vec<(usize, u64)>>>,
}

impl Model {
    fn check(&self, when: &str) {
        for (id, &(fate, slot, _)) in self.cleanups.iter().enumerate() {
            let n = self.runs[id].load(Ordering::SeqCst);
            assert!(n <= 1, "{when}: cleanup {id} ran {n} times");
            match fate {
                Fate::Live => assert_eq!(n, 0, "{when}: cleanup {id} ran while its object (slot {slot}) was reachable"),
                Fate::Stopped => assert_eq!(n, 0, "{when}: stopped cleanup {id} ran"),
                Fate::Dead | Fate::Maybe => {}
            }
        }
        assert!(self.wrong_arg.lock().unwrap().is_empty(), "{when}: cleanups got the wrong argument: {:?}", self.wrong_arg.lock().unwrap());
    }
}

type Table = GcArray<GcCell<Option<Gc<[u64; 4]>>>>;

fn run_seed(seed: u64, steps: usize) -> Model {
    let runs: Arc<Vec<AtomicU8>> = Arc::new((0..MAX_CLEANUPS).map(|_| AtomicU8::new(0)).collect());
    let wrong_arg = Arc::new(Mutex::new(Vec::new()));
    let (r2, w2) = (runs.clone(), wrong_arg.clone());
    let model = common::on_own_stack(move || {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut m = Model { runs: r2, cleanups: Vec::new(), by_slot: vec![Vec::new(); SLOTS], wrong_arg: w2 };
        let table: Table = GcArray::from_fn(SLOTS, |_| GcCell::new(None));
        for step in 0..steps {
            match rng.below(10) {
                // Replace a slot's object: the old one (and its cleanups) becomes unreachable.
                0..=3 => {
                    let slot = rng.below(SLOTS);
                    table[slot].set(Some(Gc::new([step as u64; 4])));
                    for id in std::mem::take(&mut m.by_slot[slot]) {
                        if m.cleanups[id].0 == Fate::Live {
                            m.cleanups[id].0 = Fate::Dead;
                        }
                    }
                }
                // Register a cleanup on a live object, on the whole or at a field.
                4..=6 if m.cleanups.len() < MAX_CLEANUPS => {
                    let slot = rng.below(SLOTS);
                    let Some(obj) = table[slot].get() else { continue };
                    let id = m.cleanups.len();
                    let runs = m.runs.clone();
                    let wrong = m.wrong_arg.clone();
                    let f = move |arg: u64| {
                        if arg != id as u64 * 7 {
                            wrong.lock().unwrap().push((id, arg));
                        }
                        runs[id].fetch_add(1, Ordering::SeqCst);
                    };
                    let c = if rng.below(2) == 0 {
                        add(&obj, f, id as u64 * 7)
                    } else {
                        let field = rng.below(4);
                        add_at(&obj[field] as *const u64 as usize, f, id as u64 * 7)
                    };
                    m.cleanups.push((Fate::Live, slot, c));
                    m.by_slot[slot].push(id);
                }
                // Stop a cleanup: of a live object (cancelled), of an object that left the
                // table (cancelled only if not queued yet), or one already stopped (no-op).
                7 => {
                    if m.cleanups.is_empty() {
                        continue;
                    }
                    let id = rng.below(m.cleanups.len());
                    let (fate, _, c) = m.cleanups[id];
                    c.stop();
                    m.cleanups[id].0 = match fate {
                        Fate::Live => Fate::Stopped,
                        Fate::Dead => Fate::Maybe,
                        f => f,
                    };
                }
                // Collect, drain the queue, check.
                8 => {
                    collect();
                    assert!(tricolor_cleanup::wait_idle(Duration::from_secs(30)), "seed {seed} step {step}: queue did not drain");
                    m.check(&format!("seed {seed} step {step}"));
                }
                _ => {}
            }
        }
        m
    });
    model
}

#[test]
fn cleanups_match_the_reachability_oracle() {
    // Before the collector starts: every mark verified, freed memory poisoned.
    std::env::set_var("TRICOLOR_DEBUG", "gccheckmark=1,poisonfree=1");
    let steps: usize = std::env::var("TRICOLOR_MODEL_STEPS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    block_on(move || {
        let done = common::watchdog("cleanup model", Duration::from_secs(600));
        for seed in 1..=4u64 {
            let mut m = run_seed(seed, steps);
            // The table is gone with its goroutine: every object is unreachable now.
            for c in m.cleanups.iter_mut() {
                if c.0 == Fate::Live {
                    c.0 = Fate::Dead;
                }
            }
            let expect: Vec<usize> = m.cleanups.iter().enumerate().filter(|c| c.1 .0 == Fate::Dead).map(|c| c.0).collect();
            common::collect_until(&format!("seed {seed}: every unstopped cleanup ran"), || {
                expect.iter().all(|&id| m.runs[id].load(Ordering::SeqCst) == 1)
            });
            m.check(&format!("seed {seed} end"));
            let stopped = m.cleanups.iter().filter(|c| c.0 == Fate::Stopped).count();
            let maybe = m.cleanups.iter().filter(|c| c.0 == Fate::Maybe).count();
            eprintln!(
                "seed {seed}: {} cleanups, {} ran as required, {stopped} stopped, {maybe} stopped after death",
                m.cleanups.len(),
                expect.len()
            );
        }
        done.disarm();
    });
}
