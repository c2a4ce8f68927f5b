use std::time::{Duration, Instant};
use tricolor_runtime::*;

#[test]
fn spawn_join_value() {
    let v = block_on(|| go(|| 6 * 7).join().unwrap());
    assert_eq!(v, 42);
}

#[test]
fn many_spawns() {
    let sum: u64 = block_on(|| {
        let hs: Vec<_> = (0..1000u64).map(|i| go(move || i)).collect();
        hs.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(sum, 999 * 1000 / 2);
}

#[test]
fn ping_pong() {
    block_on(|| {
        let (tx1, rx1) = gsync::chan::bounded::<u32>(0);
        let (tx2, rx2) = gsync::chan::bounded::<u32>(0);
        let h = go(move || {
            for v in rx1.iter() {
                tx2.send(v + 1).unwrap();
            }
        });
        for i in 0..10000 {
            tx1.send(i).unwrap();
            assert_eq!(rx2.recv().unwrap(), i + 1);
        }
        drop(tx1);
        h.join().unwrap();
    });
}

#[test]
fn sleeps() {
    let t = Instant::now();
    block_on(|| {
        let hs: Vec<_> = (0..100).map(|_| go(|| sleep(Duration::from_millis(20)))).collect();
        for h in hs {
            h.join().unwrap();
        }
    });
    let e = t.elapsed();
    assert!(e >= Duration::from_millis(20), "{e:?}");
}

#[test]
fn panics_are_join_errors() {
    let e = block_on(|| go(|| -> u32 { panic!("boom") }).join().unwrap_err());
    assert_eq!(e.message(), Some("boom"));
}
