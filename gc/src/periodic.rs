//! The periodic collection (reference §7.3, Go's `forcegc`): when no cycle has run for two
//! minutes (`TRICOLOR_DEBUG=forcegcperiod=MS` changes it) and automatic collection is on,
//! sysmon wakes a helper goroutine that starts one, so a program that allocates little still
//! returns memory and runs its cleanups. sysmon has no P and cannot run a cycle itself; it asks
//! through the runtime seam (`hooks::Collector::sysmon_tick`) and only wakes the helper.

use crate::collector::{Collector, Trigger};
use crate::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;
use tricolor_runtime::gsync::ParkLock;

/// Go's `forcegcperiod`.
const DEFAULT_PERIOD_MS: i64 = 120_000;

pub(crate) struct Periodic {
    /// A cycle was requested and the helper has not taken the request yet.
    requested: ParkLock<bool>,
    spawned: Once,
    period_ns: u64,
    /// When the last cycle ended (ns since the collector started).
    pub(crate) last_end_ns: AtomicU64,
    /// Cycles the helper started, ever.
    pub(crate) count: AtomicU64,
}

impl Periodic {
    pub(crate) fn new() -> Periodic {
        let ms = tricolor_runtime::debug::debug_var("forcegcperiod").unwrap_or(DEFAULT_PERIOD_MS).max(1);
        Periodic {
            requested: ParkLock::new(false),
            spawned: Once::new(),
            period_ns: ms as u64 * 1_000_000,
            last_end_ns: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    /// Starts the helper goroutine once, from a goroutine (`maybe_collect`, on every refill:
    /// a program's first allocation refills); a no-op elsewhere.
    pub(crate) fn ensure_helper(&self, c: &'static Collector) {
        if self.spawned.is_completed() || !tricolor_runtime::hooks::on_goroutine() {
            return;
        }
        self.spawned.call_once(|| {
            drop(tricolor_runtime::go(move || loop {
                {
                    let mut g = c.periodic.requested.lock();
                    while !*g {
                        g = g.park();
                    }
                    *g = false;
                }
                c.periodic.count.fetch_add(1, Ordering::Relaxed);
                c.run_cycle(Trigger::Time);
            }));
        });
    }

    /// sysmon's tick (no P, not a goroutine; must not park): wakes the helper if no cycle has
    /// run for the period.
    pub(crate) fn tick(&self, c: &Collector) {
        if !self.spawned.is_completed() || c.pacer.gc_percent.load(Ordering::Relaxed) < 0 || c.phase.marking() {
            return;
        }
        let now = c.start.elapsed().as_nanos() as u64;
        // Relaxed: a time stamp; a stale one delays the request by a tick.
        if now.saturating_sub(self.last_end_ns.load(Ordering::Relaxed)) < self.period_ns {
            return;
        }
        let mut g = self.requested.lock();
        if !*g {
            *g = true;
            g.wake_one();
        }
    }
}
