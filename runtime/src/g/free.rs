//! Free lists of dead Gs (with their stacks): a small per-P cache in front of a global list, as
//! Go's `gFree`. Stacks on the global list beyond `KEEP_COMMITTED` get their pages returned to
//! the OS, so a burst of goroutines does not pin its stack memory forever.

use super::G;
use crate::p::P;
use crate::sched::Sched;

/// Per-P cache size; half is moved to or from the global list at a time.
const LOCAL_MAX: usize = 64;
/// Global free stacks that keep their touched pages.
const KEEP_COMMITTED: usize = 1024;

/// Puts a dead G on `p`'s free list. Caller owns `p`.
pub(crate) fn gfput(s: &Sched, p: &P, g: &'static G) {
    p.with_owned(|o| {
        o.gfree.push(g);
        if o.gfree.len() >= LOCAL_MAX {
            let mut global = s.gfree.lock();
            for g in o.gfree.drain(LOCAL_MAX / 2..) {
                if global.len() >= KEEP_COMMITTED {
                    g.stack.release_pages();
                }
                global.push(g);
            }
        }
    });
}

/// Takes a dead G from `p`'s cache, refilling it from the global list. Caller owns `p`.
pub(crate) fn gfget(s: &Sched, p: &P) -> Option<&'static G> {
    p.with_owned(|o| {
        if o.gfree.is_empty() {
            let mut global = s.gfree.lock();
            let n = global.len().min(LOCAL_MAX / 2);
            let at = global.len() - n;
            o.gfree.extend(global.drain(at..));
        }
        o.gfree.pop()
    })
}
