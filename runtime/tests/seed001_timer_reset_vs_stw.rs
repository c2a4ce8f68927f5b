//! Seed 001 (Go 1.14.1, issues 38023/38070): a goroutine preempted while modifying a timer left
//! it in a transitional state; the same P's scheduler spun on that state while a
//! stop-the-world waited for the P, wedging the process at 100% CPU.
//!
//! Cooperative version of the scenario (`common::timers_beside_a_stop_loop`): two goroutines
//! reset timers every microsecond on 2 Ps while another goroutine stops the world in a loop.
//! Timer modification runs with preemption disabled and leaves no state anyone spins on
//! (reference §8, invariant 18), so every window of the run shows progress on all three. A
//! hang aborts the process (watchdog). `TRICOLOR_SEED_SECS` lengthens the run (default 2 s).

use std::time::Duration;
use tricolor_runtime::*;

mod common;

#[test]
fn timers_reset_every_microsecond_while_the_world_stops_in_a_loop() {
    let secs: u64 = std::env::var("TRICOLOR_SEED_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(2);
    let rt = Runtime::builder().procs(2).build().expect("2 Ps");
    let finished = common::watchdog("seed001 (the timer/STW hang is back)", Duration::from_secs(secs * 10 + 30));
    let (r0, r1, stops) = rt.block_on(move || common::timers_beside_a_stop_loop(secs * 10));
    finished.disarm();
    eprintln!("seed001: {r0} + {r1} resets, {stops} stop-the-worlds in {secs} s");
}
