//! A thousand goroutines blocked on sockets cost no threads (issue 14): the thread count in
//! /proc/self/task stays at procs + a few. Its own binary, so no other test's threads count.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::net::{TcpListener, TcpStream};
use tricolor_runtime::{go, sleep, Runtime};

const PROCS: usize = 4;

fn rt() -> Runtime {
    Runtime::builder().procs(PROCS).build().unwrap()
}

fn threads() -> usize {
    std::fs::read_dir("/proc/self/task").unwrap().count()
}

#[test]
fn a_thousand_idle_sockets_cost_no_threads() {
    let _hang = watchdog("net idle", Duration::from_secs(120));
    rt().block_on(|| {
        const N: usize = 1000;
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let started = Arc::new(AtomicUsize::new(0));
        let acceptor = go(move || (0..N).map(|_| l.accept().unwrap().0).collect::<Vec<_>>());
        let readers: Vec<_> = (0..N)
            .map(|_| {
                let started = started.clone();
                go(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    started.fetch_add(1, Ordering::Relaxed);
                    let mut b = [0u8; 1];
                    s.read_exact(&mut b).unwrap();
                    s.write_all(&b).unwrap();
                })
            })
            .collect();
        let peers = acceptor.join().unwrap();
        while started.load(Ordering::Relaxed) < N {
            sleep(Duration::from_millis(1));
        }
        sleep(Duration::from_millis(50)); // every reader is parked in its read by now
        let t = threads();
        // procs Ms, sysmon, the main and test threads, the watchdog, a spare M.
        println!("{N} goroutines parked on sockets: {t} threads (procs {PROCS})");
        assert!(t <= PROCS + 6, "{N} goroutines blocked on sockets use {t} threads");
        for mut p in peers {
            p.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            p.read_exact(&mut b).unwrap();
            assert_eq!(&b, b"x");
        }
        for r in readers {
            r.join().unwrap();
        }
    });
}
