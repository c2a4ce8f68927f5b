//! Seed 000's program (Go 1.4, issue 9186), shared by `tests/seed000_netpoll_vs_stack_release.rs`
//! and the soak command `examples/seed000_soak.rs`: 100 loopback TCP pairs ping-ponging
//! 100-byte messages, goroutines recursing deeply with 100-byte frames and parking at the
//! bottom (big parked stacks for the collector to scan and release), and a goroutine
//! collecting back to back. The network poller readies goroutines while the world is stopped
//! and while scanners hold their scan bits: it must never hang.
//!
//! As in Go's program, each netguy writes to the end whose peer it reads from, so the message
//! of a pair comes back to the netguy that sent it: one netguy per pair is always runnable
//! (its read finds the bytes it just wrote on loopback) and the pairs are CPU-bound,
//! scheduled by 10 ms time slices. The setup of the later pairs therefore waits behind the
//! earlier ones (seconds in all on 2 cores), and the other netguy of each pair stays parked in
//! its read for the whole run.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor::gc::collect;
use tricolor::runtime::net::{TcpListener, TcpStream};
use tricolor::runtime::{go, sleep, JoinHandle};

/// Loopback pairs.
pub const PAIRS: usize = 100;
/// Goroutines recursing at once.
pub const RECURSERS: usize = 8;
/// Recursion depth (100-byte frames and more: ~150 KiB of a 256 KiB stack in debug builds).
pub const DEPTH: usize = 400;

/// Progress counters: messages, recursions, collections.
#[derive(Default, Debug)]
pub struct Counts {
    pub messages: AtomicU64,
    pub recursions: AtomicU64,
    pub collections: AtomicU64,
}

impl Counts {
    pub fn read(&self) -> [u64; 3] {
        [&self.messages, &self.recursions, &self.collections].map(|c| c.load(Ordering::Relaxed))
    }
}

/// Go's `netguy`: read 100 bytes from `r`, write them to `w`, forever.
fn netguy(r: Arc<TcpStream>, w: Arc<TcpStream>, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let mut buf = [0u8; 100];
    while !stop.load(Ordering::Relaxed) {
        if (&*r).read_exact(&mut buf).is_err() {
            return;
        }
        counts.messages.fetch_add(1, Ordering::Relaxed);
        if (&*w).write_all(&buf).is_err() {
            return;
        }
    }
}

#[inline(never)]
fn bigstack(n: usize) -> u64 {
    let mut buf = [0u8; 100];
    buf[n % 100] = n as u8;
    let buf = std::hint::black_box(buf);
    if n > 0 {
        return bigstack(n - 1) + buf[0] as u64 + buf[99] as u64;
    }
    // Park at the bottom: a deep, parked stack for the collector.
    sleep(Duration::from_micros(200));
    buf[0] as u64 + buf[99] as u64
}

/// Starts everything on the calling goroutine's runtime; returns the handles to join after
/// `stop` is set. Each pair's sockets are closed when `stop` is seen, which ends their netguys.
pub fn start(stop: &Arc<AtomicBool>, counts: &Arc<Counts>) -> Vec<JoinHandle<()>> {
    let mut hs = Vec::new();
    let mut conns = Vec::new();
    for _ in 0..PAIRS {
        let l = TcpListener::bind("127.0.0.1:0").expect("seed000: listen");
        let addr = l.local_addr().unwrap();
        let dial = go(move || TcpStream::connect(addr).expect("seed000: dial"));
        let (c2, _) = l.accept().expect("seed000: accept");
        let c1 = dial.join().unwrap();
        let (c1, c2) = (Arc::new(c1), Arc::new(c2));
        for (r, w) in [(c1.clone(), c2.clone()), (c2.clone(), c1.clone())] {
            let (stop, counts) = (stop.clone(), counts.clone());
            hs.push(go(move || netguy(r, w, stop, counts)));
        }
        (&*c1).write_all(&[0u8; 100]).unwrap();
        conns.push((c1, c2));
    }
    for _ in 0..RECURSERS {
        let (stop, counts) = (stop.clone(), counts.clone());
        hs.push(go(move || {
            while !stop.load(Ordering::Relaxed) {
                std::hint::black_box(bigstack(DEPTH));
                counts.recursions.fetch_add(1, Ordering::Relaxed);
                // Parked shallow with the deep pages touched: what a collection releases.
                sleep(Duration::from_micros(200));
            }
        }));
    }
    {
        let (stop, counts) = (stop.clone(), counts.clone());
        hs.push(go(move || {
            while !stop.load(Ordering::Relaxed) {
                collect();
                counts.collections.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    // The closer: once stopped, close every socket so that parked netguys wake.
    let stop = stop.clone();
    hs.push(go(move || {
        while !stop.load(Ordering::Relaxed) {
            sleep(Duration::from_millis(10));
        }
        for (a, b) in conns {
            a.close();
            b.close();
        }
    }));
    hs
}
