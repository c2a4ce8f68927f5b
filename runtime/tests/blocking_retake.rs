//! sysmon retakes the P of a long blocking call (issue 11, reference §7.3): `blocking(..)`
//! leaves its P in Syscall and takes it back with one CAS when the call is short; a call that
//! outlasts sysmon's round loses the P to the goroutines waiting for it. On one proc, a
//! goroutine queued behind a 200 ms blocking call runs long before the call returns.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::{blocking, go, yield_now, Runtime};

#[test]
fn a_goroutine_behind_a_long_blocking_call_runs() {
    let _hang = watchdog("blocking retake", Duration::from_secs(60));
    let rt = Runtime::builder().procs(1).build().unwrap();
    rt.block_on(|| {
        let ran_at: Arc<Mutex<Option<Instant>>> = Arc::new(Mutex::new(None));
        let before = tricolor_runtime::stw_stats().syscall_retakes;
        // Many short calls first: each takes its P back (the fast path), none is retaken.
        for _ in 0..10_000 {
            blocking(std::process::id);
        }
        let short = tricolor_runtime::stw_stats().syscall_retakes - before;
        let waiter = {
            let ran_at = ran_at.clone();
            go(move || *ran_at.lock().unwrap() = Some(Instant::now()))
        };
        // The waiter is queued on our only P; we enter a long call without yielding.
        let entered = Instant::now();
        let returned = blocking(|| {
            std::thread::sleep(Duration::from_millis(200));
            Instant::now()
        });
        waiter.join().unwrap();
        let ran = ran_at.lock().unwrap().expect("the waiter did not record its start");
        let st = tricolor_runtime::stw_stats();
        eprintln!(
            "the waiter ran {:?} after the call began (the call lasted {:?}); {} retakes in all, {short} during 10,000 short calls",
            ran - entered,
            returned - entered,
            st.syscall_retakes - before
        );
        assert!(ran < returned, "the waiter only ran after the 200 ms blocking call returned: its P was never retaken");
        assert!(st.syscall_retakes > before, "no retake was counted");
        yield_now();
    });
}
