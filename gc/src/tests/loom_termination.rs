//! Loom model of mark termination (`mark/termination.rs`), running the production `attempt`
//! against a modelled heap of two objects and two Ps.
//!
//! Heap: A is grey (on the global list), B is white and referenced only by A's field. The
//! mutator on P1 (its stack already scanned: black) loads A.f, then overwrites it with 0
//! through the barrier (shade the old value into P1's buffer; barrier and store under P1, so
//! no safepoint falls between them) and keeps B on its stack. The marker on P0 drains the
//! global list and, out of work, attempts termination. In every interleaving: when termination
//! succeeds B is marked and no grey object is left in any buffer or on the global list.
//!
//! `a_check_before_the_barrier_misses_published_work` runs a broken terminator that checks the
//! global list before the ragged barrier and trusts the stop's re-flush alone: loom finds the
//! interleaving where the barrier publishes B's shade onto the list and the mark ends with it
//! unscanned.

use crate::mark::termination::{attempt, Env, Outcome};
use crate::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use crate::sync::{Mutex, MutexGuard};
use loom::sync::Arc;

const A: usize = 1;
const B: usize = 2;

struct Model {
    /// A's one pointer field.
    a_field: AtomicUsize,
    marked: [AtomicBool; 3],
    /// P1's barrier buffer; the lock is "holding P1" (the mutator while it runs, the
    /// ragged barrier at P1's safepoint, the stopper).
    p1: Mutex<Vec<usize>>,
    global: Mutex<Vec<usize>>,
    marking: AtomicBool,
    done: AtomicBool,
}

impl Model {
    fn new() -> Model {
        Model {
            a_field: AtomicUsize::new(B),
            marked: [AtomicBool::new(false), AtomicBool::new(true), AtomicBool::new(false)],
            p1: Mutex::new(Vec::new()),
            global: Mutex::new(vec![A]),
            marking: AtomicBool::new(true),
            done: AtomicBool::new(false),
        }
    }

    /// Grey: mark and queue.
    fn grey(&self, o: usize, into: &mut Vec<usize>) {
        if o != 0 && !self.marked[o].swap(true, Ordering::AcqRel) {
            into.push(o);
        }
    }

    /// The marker's drain: scan everything on the global list.
    fn drain(&self) {
        loop {
            let Some(o) = self.global.lock().pop() else { return };
            if o == A {
                // SeqCst (here and in the mutator): the model is about the termination
                // protocol, not about stale reads of the field.
                let f = self.a_field.load(Ordering::SeqCst);
                let mut out = Vec::new();
                self.grey(f, &mut out);
                self.global.lock().extend(out);
            }
        }
    }

    /// Flushes P1's buffer (greying) onto the global list; whether it held anything.
    fn flush_p1(&self, buf: &mut Vec<usize>) -> bool {
        let had = !buf.is_empty();
        let mut out = Vec::new();
        for o in std::mem::take(buf) {
            self.grey(o, &mut out);
        }
        self.global.lock().extend(out);
        had
    }
}

struct ModelEnv<'a>(&'a Model);

impl<'a> Env for ModelEnv<'a> {
    type Stopped = MutexGuard<'a, Vec<usize>>;
    fn ragged_flush(&self) -> bool {
        let mut p1 = self.0.p1.lock();
        self.0.flush_p1(&mut p1)
    }
    fn global_work(&self) -> bool {
        !self.0.global.lock().is_empty()
    }
    fn stop(&self) -> Self::Stopped {
        self.0.p1.lock()
    }
    fn flush_stopped(&self, w: &mut Self::Stopped) -> bool {
        self.0.flush_p1(w)
    }
    fn restart(&self, w: Self::Stopped) {
        drop(w);
    }
    fn finish(&self, w: Self::Stopped) {
        assert!(w.is_empty(), "mark ended with P1's barrier buffer holding objects");
        assert!(self.0.global.lock().is_empty(), "mark ended with grey objects on the global list");
        self.0.marking.store(false, Ordering::Release);
        self.0.done.store(true, Ordering::Release);
        drop(w);
    }
}

fn mutator(m: &Model) -> usize {
    let mut p1 = m.p1.lock();
    let x = m.a_field.load(Ordering::SeqCst);
    if m.marking.load(Ordering::Acquire) {
        p1.push(x);
    }
    m.a_field.store(0, Ordering::SeqCst);
    drop(p1);
    x
}

fn run(terminate: fn(&ModelEnv<'_>) -> Outcome) {
    loom::model(move || {
        let m = Arc::new(Model::new());
        let mt = {
            let m = m.clone();
            loom::thread::spawn(move || mutator(&m))
        };
        // Let the mutator go first in some schedules (loom explores both sides of a yield).
        loom::thread::yield_now();
        loop {
            m.drain();
            if terminate(&ModelEnv(&m)) == Outcome::Done {
                break;
            }
            loom::thread::yield_now();
        }
        let x = mt.join().unwrap();
        assert_eq!(x, B);
        assert!(m.marked[B].load(Ordering::Acquire), "termination freed B, which the mutator's black stack holds");
    });
}

#[test]
fn termination_never_ends_the_mark_with_grey_or_lost_objects() {
    run(|env| attempt(env));
}

/// The broken order: check the global list, then run the barrier and ignore what it flushed.
fn broken(env: &ModelEnv<'_>) -> Outcome {
    if env.global_work() {
        return Outcome::MoreWork;
    }
    let _ = env.ragged_flush();
    let mut w = env.stop();
    if env.flush_stopped(&mut w) {
        env.restart(w);
        return Outcome::Restarted;
    }
    env.finish(w);
    Outcome::Done
}

#[test]
#[should_panic(expected = "grey objects")]
fn a_check_before_the_barrier_misses_published_work() {
    run(broken);
}
