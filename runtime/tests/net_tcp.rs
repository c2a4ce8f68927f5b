//! The `net` module as a user meets it (issue 14): echo over loopback with many goroutines,
//! deadlines, idle sockets costing no threads, close waking waiters, and the std errors for
//! bad input. All tests share one runtime of 4 Ps (more than this machine's cores).

use std::io::{ErrorKind, Read, Write};
use std::net::Shutdown;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::net::{TcpListener, TcpStream, UdpSocket, UnixListener, UnixStream};
use tricolor_runtime::{go, sleep, stop_the_world, Runtime};

const PROCS: usize = 4;

fn rt() -> Runtime {
    Runtime::builder().procs(PROCS).build().unwrap()
}

#[test]
fn echo_with_many_goroutines() {
    let _hang = watchdog("net echo", Duration::from_secs(120));
    rt().block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        const CONNS: usize = 64;
        const ROUNDS: usize = 200;
        let server = go(move || {
            let mut hs = Vec::new();
            for _ in 0..CONNS {
                let (c, peer) = l.accept().unwrap();
                assert_eq!(c.peer_addr().unwrap(), peer);
                hs.push(go(move || {
                    let mut b = [0u8; 512];
                    let mut c = c;
                    loop {
                        match c.read(&mut b).unwrap() {
                            0 => return,
                            n => c.write_all(&b[..n]).unwrap(),
                        }
                    }
                }));
            }
            for h in hs {
                h.join().unwrap();
            }
        });
        let clients: Vec<_> = (0..CONNS)
            .map(|i| {
                go(move || {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_nodelay(true).unwrap();
                    assert!(s.nodelay().unwrap());
                    let msg: Vec<u8> = (0..100u8).map(|k| k.wrapping_mul(i as u8 + 1)).collect();
                    let mut back = vec![0u8; msg.len()];
                    for _ in 0..ROUNDS {
                        s.write_all(&msg).unwrap();
                        s.read_exact(&mut back).unwrap();
                        assert_eq!(back, msg);
                    }
                    s.shutdown(Shutdown::Write).unwrap();
                    let mut rest = Vec::new();
                    s.read_to_end(&mut rest).unwrap();
                    assert!(rest.is_empty());
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        server.join().unwrap();
    });
}

#[test]
fn a_read_deadline_of_10ms_times_out_in_10_to_30ms() {
    let _hang = watchdog("net deadline", Duration::from_secs(60));
    rt().block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let keep = go(move || l.accept().unwrap().0);
        let s = TcpStream::connect(addr).unwrap();
        let _peer = keep.join().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
        assert_eq!(s.read_timeout().unwrap(), Some(Duration::from_millis(10)));
        let mut worst = Duration::ZERO;
        for _ in 0..5 {
            let t = Instant::now();
            let e = (&s).read(&mut [0u8; 16]).unwrap_err();
            let took = t.elapsed();
            assert_eq!(e.kind(), ErrorKind::TimedOut, "{e}");
            assert!(took >= Duration::from_millis(10), "timed out early: {took:?}");
            worst = worst.max(took);
        }
        assert!(worst <= Duration::from_millis(30), "a 10 ms read timeout took {worst:?}");
        // Go's absolute deadline, set while the read is already parked.
        s.set_read_timeout(None).unwrap();
        let s = Arc::new(s);
        let reader = {
            let s = s.clone();
            go(move || {
                let t = Instant::now();
                let e = (&*s).read(&mut [0u8; 16]).unwrap_err();
                (e.kind(), t.elapsed())
            })
        };
        sleep(Duration::from_millis(5));
        s.set_read_deadline(Some(Instant::now() + Duration::from_millis(10)));
        let (kind, took) = reader.join().unwrap();
        assert_eq!(kind, ErrorKind::TimedOut);
        assert!(took >= Duration::from_millis(15) && took <= Duration::from_secs(1), "{took:?}");
        // A deadline in the past fails at once; removing it lets the read wait again.
        s.set_read_deadline(Some(Instant::now() - Duration::from_millis(1)));
        assert_eq!((&*s).read(&mut [0u8; 1]).unwrap_err().kind(), ErrorKind::TimedOut);
        s.set_read_deadline(None);
        assert!(s.set_read_timeout(Some(Duration::ZERO)).is_err(), "std refuses a zero timeout");
    });
}

#[test]
fn close_wakes_every_waiter() {
    let _hang = watchdog("net close", Duration::from_secs(60));
    rt().block_on(|| {
        let l = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let addr = l.local_addr().unwrap();
        let acceptors: Vec<_> = (0..3)
            .map(|_| {
                let l = l.clone();
                go(move || l.accept().map(drop).unwrap_err().kind())
            })
            .collect();
        let _ = addr;
        // A connection from another listener, its client kept open: reads park.
        let l2 = TcpListener::bind("127.0.0.1:0").unwrap();
        let _client = TcpStream::connect(l2.local_addr().unwrap()).unwrap();
        let s = Arc::new(l2.accept().unwrap().0);
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let s = s.clone();
                go(move || (&*s).read(&mut [0u8; 8]).map(drop).unwrap_err().kind())
            })
            .collect();
        let writer = {
            let s = s.clone();
            // Fill the send buffer until the write parks.
            go(move || loop {
                if let Err(e) = (&*s).write(&[0u8; 65536]) {
                    return e.kind();
                }
            })
        };
        sleep(Duration::from_millis(50));
        l.close();
        s.close();
        for r in readers {
            assert_eq!(r.join().unwrap(), ErrorKind::NotConnected);
        }
        assert!(matches!(writer.join().unwrap(), ErrorKind::NotConnected | ErrorKind::BrokenPipe | ErrorKind::ConnectionReset));
        let mut woken = 0;
        for a in acceptors {
            match a.join() {
                Ok(k) => {
                    assert_eq!(k, ErrorKind::NotConnected);
                    woken += 1;
                }
                Err(e) => panic!("acceptor: {e:?}"),
            }
        }
        assert_eq!(woken, 3);
        // Every later call fails the same way, without a panic.
        assert_eq!((&*s).read(&mut [0u8; 1]).unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!((&*s).write(b"x").unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!(s.shutdown(Shutdown::Both).unwrap_err().kind(), ErrorKind::NotConnected);
        assert_eq!(l.accept().map(drop).unwrap_err().kind(), ErrorKind::NotConnected);
    });
}

#[test]
fn bad_input_gives_the_std_errors() {
    let _hang = watchdog("net bad input", Duration::from_secs(60));
    rt().block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        assert_eq!(TcpListener::bind(addr).unwrap_err().kind(), ErrorKind::AddrInUse);
        drop(l);
        // Nobody listens there now.
        assert_eq!(TcpStream::connect(addr).unwrap_err().kind(), ErrorKind::ConnectionRefused);
        // A name that does not resolve: an error from the resolver, not a panic.
        assert!(TcpStream::connect("no-such-host.invalid:80").is_err());
        // Reading a connection the peer closed: end of file; writing to it: an error.
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        drop(l.accept().unwrap());
        assert_eq!(s.read(&mut [0u8; 8]).unwrap(), 0);
        let mut failed = None;
        for _ in 0..100 {
            if let Err(e) = s.write(&[0u8; 1024]) {
                failed = Some(e.kind());
                break;
            }
            sleep(Duration::from_millis(1));
        }
        assert!(matches!(failed, Some(ErrorKind::BrokenPipe | ErrorKind::ConnectionReset)), "{failed:?}");
        assert_eq!(TcpStream::connect_timeout(&addr, Duration::ZERO).unwrap_err().kind(), ErrorKind::InvalidInput);
    });
}

#[test]
fn udp_and_unix_sockets() {
    let _hang = watchdog("net udp unix", Duration::from_secs(60));
    rt().block_on(|| {
        let a = UdpSocket::bind("127.0.0.1:0").unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (aa, ba) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let recv = go(move || {
            let mut buf = [0u8; 64];
            let (n, from) = b.recv_from(&mut buf).unwrap();
            b.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
            let e = b.recv_from(&mut buf).unwrap_err();
            (buf[..n].to_vec(), from, e.kind())
        });
        sleep(Duration::from_millis(5));
        a.send_to(b"datagram", ba).unwrap();
        let (got, from, timeout) = recv.join().unwrap();
        assert_eq!(got, b"datagram");
        assert_eq!(from, aa);
        assert_eq!(timeout, ErrorKind::TimedOut);

        let dir = std::env::temp_dir().join(format!("tricolor-net-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let l = UnixListener::bind(&dir).unwrap();
        let path = dir.clone();
        let server = go(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut b = [0u8; 4];
            c.read_exact(&mut b).unwrap();
            c.write_all(&b).unwrap();
        });
        let mut c = UnixStream::connect(&path).unwrap();
        c.write_all(b"unix").unwrap();
        let mut b = [0u8; 4];
        c.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"unix");
        server.join().unwrap();
        std::fs::remove_file(&dir).unwrap();
        let (x, y) = UnixStream::pair().unwrap();
        let h = go(move || {
            let mut b = [0u8; 2];
            (&y).read_exact(&mut b).unwrap();
            b
        });
        (&x).write_all(b"ok").unwrap();
        assert_eq!(&h.join().unwrap(), b"ok");
    });
}

#[test]
fn plain_threads_block_and_still_work() {
    let _hang = watchdog("net threads", Duration::from_secs(60));
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    // A goroutine serves; a plain thread is the client.
    let server = std::thread::spawn(move || {
        rt().block_on(move || {
            let (mut c, _) = l.accept().unwrap();
            let mut b = [0u8; 3];
            c.read_exact(&mut b).unwrap();
            c.write_all(&b).unwrap();
            // Keep the connection open while the client's read times out.
            sleep(Duration::from_millis(200));
        })
    });
    let mut s = TcpStream::connect(addr).unwrap();
    s.write_all(b"abc").unwrap();
    let mut b = [0u8; 3];
    s.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"abc");
    s.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
    let t = Instant::now();
    assert_eq!(s.read(&mut b).unwrap_err().kind(), ErrorKind::TimedOut);
    assert!(t.elapsed() >= Duration::from_millis(10));
    server.join().unwrap();
}

/// Seed 000's path, deterministically: a goroutine parked on a read becomes ready while the
/// world is stopped (the poller keeps running during a stop); it runs once the world restarts.
#[test]
fn readiness_during_a_stop_is_delivered_after_it() {
    let _hang = watchdog("net readiness during a stop", Duration::from_secs(60));
    rt().block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let reader = go(move || {
            let mut b = [0u8; 4];
            (&server).read_exact(&mut b).unwrap();
            b
        });
        sleep(Duration::from_millis(20)); // the reader is parked on its socket
        let world = stop_the_world();
        // A plain thread writes while every goroutine is stopped.
        let client = std::thread::spawn(move || {
            (&client).write_all(b"stop").unwrap();
            std::thread::sleep(Duration::from_millis(20));
            client
        })
        .join()
        .unwrap();
        drop(world);
        assert_eq!(&reader.join().unwrap(), b"stop");
        drop(client);
    });
}

#[test]
fn accept_deadlines_and_timeouts() {
    let _hang = watchdog("net accept deadline", Duration::from_secs(60));
    rt().block_on(|| {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_accept_timeout(Some(Duration::from_millis(10))).unwrap();
        let t = Instant::now();
        assert_eq!(l.accept().map(drop).unwrap_err().kind(), ErrorKind::TimedOut);
        assert!(t.elapsed() >= Duration::from_millis(10));
        l.set_accept_timeout(None).unwrap();
        l.set_accept_deadline(Some(Instant::now() + Duration::from_millis(10)));
        assert_eq!(l.accept().map(drop).unwrap_err().kind(), ErrorKind::TimedOut);
        // A connection that is already queued is accepted whatever the deadline.
        l.set_accept_deadline(None);
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        assert!(l.accept().is_ok());
        let u = std::env::temp_dir().join(format!("tricolor-net-accept-{}", std::process::id()));
        let _ = std::fs::remove_file(&u);
        let ul = UnixListener::bind(&u).unwrap();
        ul.set_accept_deadline(Some(Instant::now() + Duration::from_millis(10)));
        assert_eq!(ul.accept().map(drop).unwrap_err().kind(), ErrorKind::TimedOut);
        assert_eq!(UnixListener::bind(&u).map(drop).unwrap_err().kind(), ErrorKind::AddrInUse);
        std::fs::remove_file(&u).unwrap();
    });
}
