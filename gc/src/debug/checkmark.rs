//! `gccheckmark=1`: after marking, still inside the pause, clear every span's check bits and
//! re-mark from scratch on one thread with an independent work stack; an object reachable but
//! not marked by the real (parallel) mark means marking missed it — a missing root, a lost
//! work buffer, a termination bug — and the collector fails loudly with the object's address
//! and type (reference §11, Go's "checkmark found unmarked object").

use crate::collector::Collector;
use crate::heap::arena::ObjRef;
use crate::heap::HEADER;
use crate::mark::{Mode, Worker};
use crate::object::type_info::TypeInfo;
use crate::sync::atomic::Ordering;

/// Runs the verification. World stopped; the caller is the stopper. `concurrent`: the mark ran
/// beside the mutators, so stale stack words are tolerated (`Worker::tolerate_stacks`);
/// everything reachable from precise roots and from marked objects is still checked.
pub(crate) fn run(c: &'static Collector, w: &tricolor_runtime::WorldStopped, concurrent: bool) {
    for central in c.heap.central.iter() {
        central.for_each_span(clear);
    }
    for half in c.heap.locked.lock().large.iter() {
        half.iter().for_each(|s| clear(s));
    }
    let mut wk = Worker::new(&c.heap.arena, c.marker.lists(), Mode::Checkmark);
    wk.tolerate_stacks = concurrent;
    crate::mark::mark_all_roots_single(c, &mut wk, w);
}

fn clear(s: &'static crate::heap::span::Span) {
    for w in s.check_bits.iter() {
        w.store(0, Ordering::Relaxed);
    }
}

/// Called when the checkmark pass reaches an object the real mark left white.
#[cold]
pub(crate) fn unmarked(o: ObjRef) -> ! {
    let l = o.span.layout();
    let ty = if l.spc.noscan() {
        "<noscan object>".to_string()
    } else {
        let h = crate::heap::header(o.slot).load(Ordering::Relaxed);
        if h == 0 {
            "<unpublished>".to_string()
        } else {
            // SAFETY: a published header holds a `&'static TypeInfo`.
            unsafe { &*(h as *const TypeInfo) }.name().to_string()
        }
    };
    let payload = if l.spc.noscan() { o.slot } else { o.slot + HEADER };
    crate::debug::fatal(format_args!(
        "checkmark found unmarked object {payload:#x} of type {ty} ({} bytes, slot {} of {:?}): \
         concurrent/parallel marking missed a reachable object",
        l.elemsize, o.index, o.span
    ));
}
