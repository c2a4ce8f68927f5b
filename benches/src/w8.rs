//! W8 "sched": the scheduler kernels, each timed from inside one goroutine.
//!
//! Every kernel must run on a goroutine (inside `block_on`) and returns the time its `n`
//! operations took, excluding setup (the partner goroutine, the timer) and teardown. Each
//! kernel checks its own result, so a broken hand-off fails loudly instead of running fast.
//! The Go peer, `peers/go/w8_sched/main.go`, has one function per kernel with the same name
//! in Go case; the comments here say what it does in place of each of our calls.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::gsync::{chan, WaitGroup};
use tricolor_runtime::{go, yield_now, Timer};

/// Operations per measured run in the workload definition (goroutines, or round trips).
pub const OPS: u64 = 1_000_000;

/// Goroutines alive at once in the "all then wait" runs. The runtime caps live goroutines at
/// what `vm.max_map_count` allows (28,669 on a default kernel; each stack is a mapping plus a
/// guard), so a million cannot be alive together; both sides run the same waves.
pub const WAVE: u64 = 10_000;

/// Spawns `n` goroutines in waves of `wave`: start a whole wave, then join it in spawn order
/// ("all then wait"). Each goroutine returns its index through its `JoinHandle`.
///
/// Go peer: each goroutine sends its index on its own `make(chan uint64, 1)`, and the wave is
/// joined by receiving from each channel in spawn order.
pub fn spawn_join_waves(n: u64, wave: u64) -> Duration {
    let mut handles = Vec::with_capacity(wave as usize);
    let mut sum = 0u64;
    let start = Instant::now();
    let mut next = 0;
    while next < n {
        let end = (next + wave).min(n);
        for i in next..end {
            handles.push(go(move || black_box(i)));
        }
        for h in handles.drain(..) {
            sum = sum.wrapping_add(h.join().expect("w8: goroutine panicked"));
        }
        next = end;
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * n.saturating_sub(1) / 2, "w8 spawn_join_waves: wrong sum of results");
    elapsed
}

/// Like `spawn_join_waves`, but joined with one `WaitGroup` per wave and the `JoinHandle`s
/// dropped (detached): the cheapest join each side offers, so the gap between this and
/// `spawn_join_waves` is the cost of per-goroutine joining.
///
/// Go peer: `wg.Add(wave)`, `go func() { wg.Done() }()`, `wg.Wait()`.
pub fn spawn_wait_waves_wg(n: u64, wave: u64) -> Duration {
    let wg = Arc::new(WaitGroup::new());
    let start = Instant::now();
    let mut next = 0;
    while next < n {
        let end = (next + wave).min(n);
        wg.add((end - next) as i64);
        for _ in next..end {
            let wg = wg.clone();
            drop(go(move || wg.done()));
        }
        wg.wait();
        next = end;
    }
    start.elapsed()
}

/// Spawns one goroutine and joins it, `n` times ("one at a time").
///
/// Go peer: `ch := make(chan uint64, 1); go func() { ch <- i }(); sum += <-ch`.
pub fn spawn_join_serial(n: u64) -> Duration {
    let mut sum = 0u64;
    let start = Instant::now();
    for i in 0..n {
        sum = sum.wrapping_add(go(move || black_box(i)).join().expect("w8: goroutine panicked"));
    }
    let elapsed = start.elapsed();
    assert_eq!(sum, n * n.saturating_sub(1) / 2, "w8 spawn_join_serial: wrong sum of results");
    elapsed
}

/// `n` round trips over two rendezvous (`bounded(0)`) channels with a partner goroutine that
/// echoes every value back. The partner is started before and joined after the timed part.
///
/// Go peer: two `make(chan uint64)` (unbuffered), partner `for v := range ping { pong <- v }`.
pub fn chan_ping_pong(n: u64) -> Duration {
    let (ping_tx, ping_rx) = chan::bounded::<u64>(0);
    let (pong_tx, pong_rx) = chan::bounded::<u64>(0);
    let partner = go(move || {
        for v in ping_rx.iter() {
            pong_tx.send(v).expect("w8 ping-pong partner: pong channel closed");
        }
    });
    let mut sum = 0u64;
    let start = Instant::now();
    for i in 0..n {
        ping_tx.send(i).expect("w8 ping-pong: ping channel closed");
        sum = sum.wrapping_add(pong_rx.recv().expect("w8 ping-pong: pong channel closed"));
    }
    let elapsed = start.elapsed();
    drop(ping_tx); // closes ping: the partner's loop ends
    partner.join().expect("w8 ping-pong partner panicked");
    assert_eq!(sum, n * n.saturating_sub(1) / 2, "w8 chan_ping_pong: values lost or changed");
    elapsed
}

/// `yield_now`, `n` times (criterion only: a scheduler round trip with nothing else runnable).
pub fn yield_loop(n: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        yield_now();
    }
    start.elapsed()
}

/// `Timer::reset` on a pending timer, `n` times (criterion only). The timer is an hour out, so
/// it never fires; each reset moves it within the P's timer heap and drains its channel.
pub fn timer_reset(n: u64) -> Duration {
    const FAR: Duration = Duration::from_secs(3600);
    let t = Timer::new(FAR);
    let start = Instant::now();
    for _ in 0..n {
        black_box(t.reset(FAR));
    }
    let elapsed = start.elapsed();
    assert!(t.stop(), "w8 timer_reset: the timer fired or was lost (it was an hour out)");
    elapsed
}

/// `blocking(|| getpid())`, `n` times (criterion only): the cost of entering and leaving a
/// blocking call around a short system call (issue 11: before and after the fast path that
/// keeps the P and lets sysmon retake it).
pub fn blocking_syscall(n: u64) -> Duration {
    let start = Instant::now();
    let mut sum = 0u64;
    for _ in 0..n {
        // `process::id` is a getpid system call (glibc does not cache it).
        sum = sum.wrapping_add(tricolor_runtime::blocking(std::process::id) as u64);
    }
    let elapsed = start.elapsed();
    black_box(sum);
    elapsed
}
