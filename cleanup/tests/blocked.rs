//! A cleanup that blocks the pool is visible in `stats().oldest_running`, and `wait_idle`
//! times out instead of hanging (its own test binary: it stalls the process's only cleanup
//! goroutine on purpose).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_cleanup::add;
use tricolor_gc::{collect, Gc};
use tricolor_runtime::block_on;

mod common;
use common::on_own_stack;

#[test]
fn a_blocked_cleanup_shows_in_stats() {
    block_on(|| {
        let release = Arc::new(AtomicBool::new(false));
        let r2 = release.clone();
        on_own_stack(move || {
            let o = Gc::new(1u64);
            add(
                &o,
                move |()| {
                    while !r2.load(Ordering::SeqCst) {
                        tricolor_runtime::sleep(Duration::from_millis(1));
                    }
                },
                (),
            );
        });
        let mut seen = None;
        for _ in 0..10 {
            collect();
            assert!(!tricolor_cleanup::wait_idle(Duration::from_millis(30)), "the blocked cleanup cannot finish");
            if let Some(d) = tricolor_cleanup::stats().oldest_running {
                if d >= Duration::from_millis(20) {
                    seen = Some(d);
                    break;
                }
            }
        }
        assert!(seen.is_some(), "stats never showed the blocked cleanup: {:?}", tricolor_cleanup::stats());
        release.store(true, Ordering::SeqCst);
        assert!(tricolor_cleanup::wait_idle(Duration::from_secs(10)));
    });
}
