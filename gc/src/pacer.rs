//! The pacer (reference §4.5, simplified for a stop-the-world collector): the heap goal is
//! `live × (1 + GOGC/100)`, floored at 4 MiB × GOGC/100, lowered to fit the soft memory limit;
//! a collection starts when the live-heap estimate reaches the goal. `gc_percent < 0` turns
//! automatic collection off (the memory limit still applies). Settings come from the builder
//! (`Config`) or `TRICOLOR_GC_PERCENT` / `TRICOLOR_MEMORY_LIMIT`.

use crate::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

/// Smallest goal at GOGC=100.
const HEAP_MIN: usize = 4 << 20;

/// Pacer state.
#[derive(Debug)]
pub(crate) struct Pacer {
    pub(crate) gc_percent: AtomicI64,
    /// Soft limit on heap bytes in use; usize::MAX if none.
    pub(crate) memory_limit: AtomicUsize,
    /// Live bytes marked by the last cycle.
    pub(crate) heap_marked: AtomicUsize,
    /// Heap goal for the current cycle.
    pub(crate) goal: AtomicUsize,
}

impl Pacer {
    pub(crate) fn new(gc_percent: i64, memory_limit: usize) -> Pacer {
        let p = Pacer {
            gc_percent: AtomicI64::new(gc_percent),
            memory_limit: AtomicUsize::new(memory_limit),
            heap_marked: AtomicUsize::new(0),
            goal: AtomicUsize::new(0),
        };
        p.commit(0);
        p
    }

    /// Sets the goal after a mark that found `marked` live bytes.
    pub(crate) fn commit(&self, marked: usize) {
        self.heap_marked.store(marked, Ordering::Relaxed);
        let pct = self.gc_percent.load(Ordering::Relaxed);
        let mut goal = if pct < 0 {
            usize::MAX
        } else {
            let pct = pct as usize;
            let grow = (marked as u128 * pct as u128 / 100).min(usize::MAX as u128) as usize;
            marked.saturating_add(grow).max(HEAP_MIN.saturating_mul(pct) / 100)
        };
        let limit = self.memory_limit.load(Ordering::Relaxed);
        if limit != usize::MAX {
            // Leave 3% headroom under the limit (Go's memoryLimitHeapGoal), at least 1 MiB.
            let headroom = (limit / 33).max(1 << 20);
            goal = goal.min(limit.saturating_sub(headroom).max(marked + marked / 16));
        }
        self.goal.store(goal, Ordering::Relaxed);
    }

    /// Whether a heap of `live` bytes should be collected now.
    #[inline]
    pub(crate) fn should_collect(&self, live: usize) -> bool {
        live >= self.goal.load(Ordering::Relaxed)
    }

    /// Where a concurrent cycle starts: 80% of the way from the last marked heap to the goal,
    /// so marking (with assists from there on) finishes before the goal (reference §4.5).
    #[inline]
    pub(crate) fn trigger(&self) -> usize {
        let goal = self.goal.load(Ordering::Relaxed);
        let marked = self.heap_marked.load(Ordering::Relaxed);
        if goal == usize::MAX {
            return goal;
        }
        goal - goal.saturating_sub(marked) / 5
    }

    pub(crate) fn goal(&self) -> usize {
        self.goal.load(Ordering::Relaxed)
    }
}

/// Parses a byte size with an optional k/m/g/t suffix (`TRICOLOR_MEMORY_LIMIT=512m`), or "off".
pub(crate) fn parse_bytes(s: &str) -> Option<usize> {
    let t = s.trim().to_ascii_lowercase();
    if t == "off" || t == "max" {
        return Some(usize::MAX);
    }
    let (num, mul) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1usize << 10),
        'm' => (&t[..t.len() - 1], 1 << 20),
        'g' => (&t[..t.len() - 1], 1 << 30),
        't' => (&t[..t.len() - 1], 1 << 40),
        _ => (t.as_str(), 1),
    };
    num.trim_end_matches('b').parse::<usize>().ok()?.checked_mul(mul)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn goal_follows_gogc_floor_and_limit() {
        let p = Pacer::new(100, usize::MAX);
        assert_eq!(p.goal(), HEAP_MIN);
        p.commit(100 << 20);
        assert_eq!(p.goal(), 200 << 20);
        p.gc_percent.store(50, Ordering::Relaxed);
        p.commit(100 << 20);
        assert_eq!(p.goal(), 150 << 20);
        p.memory_limit.store(160 << 20, Ordering::Relaxed);
        p.commit(100 << 20);
        assert!(p.goal() < 160 << 20 && p.goal() > 100 << 20, "{}", p.goal());
        p.gc_percent.store(-1, Ordering::Relaxed);
        p.memory_limit.store(usize::MAX, Ordering::Relaxed);
        p.commit(1 << 30);
        assert_eq!(p.goal(), usize::MAX);
        assert_eq!(parse_bytes("512m"), Some(512 << 20));
        assert_eq!(parse_bytes("2G"), Some(2 << 30));
        assert_eq!(parse_bytes("off"), Some(usize::MAX));
        assert_eq!(parse_bytes("x"), None);
    }
}
