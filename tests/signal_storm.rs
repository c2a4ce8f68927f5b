//! Issue 11: the preemption signal arriving anywhere while the collector runs. Three goroutines
//! on 2 procs replace random slots of a rooted table with fresh two-node chains (allocation,
//! barriers, objects held only in registers and on stacks between steps); a pair passes
//! chains over a channel (rooted: a channel buffer is not a root), the receiver checking each
//! and growing and shrinking a `Vec` (the system allocator) and resetting a timer; a sixth
//! collects back to back; another spawns goroutines whose only reference to a fresh chain is
//! their captures and who return it; and a plain thread sends SIGURG to the whole process every 20 µs —
//! inside allocations, barriers, sweeps, marking, stops, channel and timer operations, malloc
//! and the scheduler. Under `gccheckmark=1,poisonfree=1` a missed object aborts the process;
//! at the end every chain in the table must still be intact.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor::gc::{collect, stats, Gc, GcArray, GcCell, Root, Trace};
use tricolor::runtime::debug::watchdog;
use tricolor::runtime::gsync::chan;
use tricolor::runtime::{go, Runtime, Timer};

#[derive(Trace)]
struct Node {
    next: GcCell<Option<Gc<Node>>>,
    v: u64,
}

const SLOTS: usize = 4096;

#[test]
fn the_heap_stays_intact_under_a_signal_storm() {
    // Added to what the caller set (test.sh's stop-the-world pass runs this with
    // `gcstoptheworld=1`: goroutines suspended in place are scanned inside the stop then).
    let prev = std::env::var("TRICOLOR_DEBUG").unwrap_or_default();
    std::env::set_var("TRICOLOR_DEBUG", format!("{prev},gccheckmark=1,poisonfree=1"));
    let _hang = watchdog("signal storm", Duration::from_secs(120));
    let storm_stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let storm = {
        let (storm_stop, sent) = (storm_stop.clone(), sent.clone());
        std::thread::spawn(move || {
            while !storm_stop.load(Ordering::Relaxed) {
                // SAFETY: kill(2) to our own process with a signal the runtime handles.
                unsafe { libc::kill(libc::getpid(), libc::SIGURG) };
                sent.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_micros(20));
            }
        })
    };
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let table = Root::new(Gc::new(GcArray::from_fn(SLOTS, |_| GcCell::new(None::<Gc<Node>>))));
        let stop = Arc::new(AtomicBool::new(false));
        let s0 = stats().num_gc;
        let collector = {
            let stop = stop.clone();
            go(move || {
                while !stop.load(Ordering::Relaxed) {
                    collect();
                }
            })
        };
        let mutators: Vec<_> = (0..3u64)
            .map(|m| {
                let t = table.get();
                go(move || {
                    let mut x = m.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                    let t0 = Instant::now();
                    let mut n = 0u64;
                    while t0.elapsed() < Duration::from_secs(2) {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        let tail = Gc::new(Node { next: GcCell::new(None), v: x.wrapping_add(1) });
                        let head = Gc::new(Node { next: GcCell::new(Some(tail)), v: x });
                        t[(x as usize) % SLOTS].set(Some(head));
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let (tx, rx) = chan::bounded::<Root<Node>>(4);
        let sender = go(move || {
            let t0 = Instant::now();
            let mut n = 0u64;
            while t0.elapsed() < Duration::from_secs(2) {
                let tail = Gc::new(Node { next: GcCell::new(None), v: n + 1 });
                let head = Gc::new(Node { next: GcCell::new(Some(tail)), v: n });
                tx.send(Root::new(head)).unwrap();
                n += 1;
            }
            n
        });
        let receiver = go(move || {
            let timer = Timer::new(Duration::from_secs(3600));
            let mut seen: Vec<u64> = Vec::new();
            let mut n = 0u64;
            for head in rx.iter() {
                let h = head.get();
                let tail = h.next.get().expect("a sent chain lost its tail");
                assert_eq!(tail.v, h.v + 1, "a sent chain's tail was overwritten");
                seen.push(h.v);
                if seen.len() == 10_000 {
                    seen.clear();
                    seen.shrink_to_fit();
                }
                timer.reset(Duration::from_secs(3600));
                n += 1;
            }
            n
        });
        // Spawns with a fresh chain as the only reference in the child's captures, which the
        // child hands back as its result: the chain lives in the spawn packet, then the
        // child's stack, then the result slot, each while signals and cycles land anywhere.
        let spawner = go(move || {
            let t0 = Instant::now();
            let mut n = 0u64;
            while t0.elapsed() < Duration::from_secs(2) {
                let tail = Gc::new(Node { next: GcCell::new(None), v: n + 1 });
                let head = Gc::new(Node { next: GcCell::new(Some(tail)), v: n });
                let child = go(move || {
                    let h = std::hint::black_box(head);
                    assert_eq!(h.next.get().expect("a captured chain lost its tail").v, h.v + 1);
                    h
                });
                let h = child.join().unwrap();
                let tail = h.next.get().expect("a returned chain lost its tail");
                assert_eq!((h.v, tail.v), (n, n + 1), "a returned chain was overwritten");
                n += 1;
            }
            n
        });
        let ops: u64 = mutators.into_iter().map(|h| h.join().unwrap()).sum();
        let spawned = spawner.join().unwrap();
        let sent_chains = sender.join().unwrap();
        assert_eq!(receiver.join().unwrap(), sent_chains, "chains lost in the channel");
        stop.store(true, Ordering::Relaxed);
        collector.join().unwrap();
        collect();
        let t = table.get();
        let mut chains = 0;
        for slot in t.iter() {
            if let Some(h) = slot.get() {
                let tail = h.next.get().expect("a chain lost its tail");
                assert_eq!(tail.v, h.v.wrapping_add(1), "a chain's tail was overwritten");
                chains += 1;
            }
        }
        eprintln!(
            "signal storm: {} signals, {ops} replacements, {sent_chains} chains over a channel, {spawned} through spawns, {} collections, {chains} chains intact",
            sent.load(Ordering::Relaxed),
            stats().num_gc - s0
        );
        assert!(chains > 0);
    });
    storm_stop.store(true, Ordering::Relaxed);
    storm.join().unwrap();
}
