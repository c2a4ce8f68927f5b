//! W11 "echo", the tokio peer (the Rust ecosystem's reference): the same program as
//! `src/bin/w11.rs` on tokio's multi-threaded runtime with `TRICOLOR_PROCS` workers.
//!
//! Usage: `w11_tokio [--secs S] [--conns N]`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn main() {
    let (mut secs, mut conns) = (10u64, 100usize);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().unwrap_or_default();
        match a.as_str() {
            "--secs" => secs = v.parse().expect("w11_tokio: --secs wants seconds"),
            "--conns" => conns = v.parse().expect("w11_tokio: --conns wants a count"),
            other => panic!("w11_tokio: unknown argument {other:?}"),
        }
    }
    let procs: usize = std::env::var("TRICOLOR_PROCS").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    println!("procs {procs}");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(procs).enable_all().build().unwrap();
    let (lat, elapsed, threads) = rt.block_on(async move {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut c, _) = l.accept().await.unwrap();
                c.set_nodelay(true).unwrap();
                tokio::spawn(async move {
                    let mut b = [0u8; 1024];
                    while c.read_exact(&mut b).await.is_ok() {
                        if c.write_all(&b).await.is_err() {
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
                tokio::spawn(async move {
                    let mut s = TcpStream::connect(addr).await.unwrap();
                    s.set_nodelay(true).unwrap();
                    let msg = [7u8; 1024];
                    let mut back = [0u8; 1024];
                    let mut lat = Vec::with_capacity(1 << 16);
                    while !stop.load(Ordering::Relaxed) {
                        let t = Instant::now();
                        s.write_all(&msg).await.unwrap();
                        s.read_exact(&mut back).await.unwrap();
                        lat.push(t.elapsed().as_nanos() as u64);
                    }
                    lat
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        let threads = std::fs::read_dir("/proc/self/task").map(|d| d.count()).unwrap_or(0);
        stop.store(true, Ordering::Relaxed);
        let mut lat = Vec::new();
        for c in clients {
            lat.extend(c.await.unwrap());
        }
        (lat, start.elapsed(), threads)
    });
    let mut lat = lat;
    lat.sort_unstable();
    let q = |f: f64| lat.get(((lat.len() as f64 * f) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0;
    println!("metric rtt_per_sec {:.0} ops/s", lat.len() as f64 / elapsed.as_secs_f64());
    println!("metric p50 {:.1} us", q(0.50));
    println!("metric p99 {:.1} us", q(0.99));
    println!("metric threads {threads} threads");
}
