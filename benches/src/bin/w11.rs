//! W11 "echo" (shared/WORKLOADS.md): a TCP echo server and client in one process over
//! loopback, 100 connections each sending 1 KiB messages and waiting for the echo, for a fixed
//! time. The Tricolor side (`tricolor_runtime::net`, goroutines); `peers/go/w11_echo` and
//! `src/bin/w11_tokio.rs` are the peers; `benches/w11.sh` runs all three.
//!
//! Usage: `w11 [--secs S] [--conns N]` (default 10 s, 100). Procs from `TRICOLOR_PROCS`.
//! Prints `metric rtt_per_sec`, `metric p50`/`p99` (µs) and `metric threads`.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::net::{TcpListener, TcpStream};
use tricolor_runtime::{go, Runtime};

fn main() {
    let (mut secs, mut conns) = (10u64, 100usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--secs" => secs = v.parse().expect("w11: --secs wants seconds"),
            "--conns" => conns = v.parse().expect("w11: --conns wants a count"),
            other => panic!("w11: unknown argument {other:?}; usage: w11 [--secs S] [--conns N]"),
        }
    }
    let rt = Runtime::global();
    println!("procs {}", rt.config().procs);
    let (lat, elapsed, threads) = rt.block_on(move || {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        go(move || {
            for c in l.incoming() {
                let mut c = c.unwrap();
                c.set_nodelay(true).unwrap();
                go(move || {
                    let mut b = [0u8; 1024];
                    while c.read_exact(&mut b).is_ok() {
                        if c.write_all(&b).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let stop = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let clients: Vec<_> = (0..conns)
            .map(|_| {
                let stop = stop.clone();
                go(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    let msg = [7u8; 1024];
                    let mut back = [0u8; 1024];
                    let mut lat = Vec::with_capacity(1 << 16);
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        s.write_all(&msg).unwrap();
                        s.read_exact(&mut back).unwrap();
                        lat.push(t.elapsed().as_nanos() as u64);
                    }
                    lat
                })
            })
            .collect();
        tricolor_runtime::sleep(Duration::from_secs(secs));
        let threads = std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0);
        stop.store(true, Ordering::Relaxed);
        let mut lat = Vec::new();
        for c in clients {
            lat.extend(c.join().unwrap());
        }
        (lat, start.elapsed(), threads)
    });
    report(lat, elapsed, threads);
}

fn report(mut lat: Vec<u64>, elapsed: Duration, threads: usize) {
    lat.sort_unstable();
    let q = |f: f64| lat.get(((lat.len() as f64 * f) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0;
    println!("metric rtt_per_sec {:.0} ops/s", lat.len() as f64 / elapsed.as_secs_f64());
    println!("metric p50 {:.1} us", q(0.50));
    println!("metric p99 {:.1} us", q(0.99));
    println!("metric threads {threads} threads");
}
