//! The alive-goroutine limit gives the documented error, never a crash (issue 2). Its own test
//! binary, because the limit is a property of the process-wide runtime.

use tricolor_runtime::*;

const LIMIT: usize = 200;

fn rt() -> Runtime {
    Runtime::builder().procs(2).max_goroutines(LIMIT).build().expect("runtime config")
}

#[test]
fn limit_reached_is_an_error_then_recovers() {
    rt().block_on(|| {
        let (tx, rx) = gsync::chan::bounded::<()>(0);
        // The block_on goroutine itself counts: LIMIT - 1 more fit.
        let mut hs = Vec::new();
        for _ in 0..LIMIT - 1 {
            let rx = rx.clone();
            hs.push(go(move || {
                let _ = rx.recv();
            }));
        }
        match try_go(|| ()) {
            Err(SpawnError::TooManyGoroutines { limit }) => assert_eq!(limit, LIMIT),
            other => panic!("expected TooManyGoroutines, got {other:?}"),
        }
        let msg = try_go(|| ()).unwrap_err().to_string();
        assert!(msg.contains("200 goroutines are alive") && msg.contains("max_goroutines"), "{msg}");
        // go() panics with the same message.
        let r = std::panic::catch_unwind(|| go(|| ()));
        let p = r.unwrap_err();
        let s = p.downcast_ref::<String>().unwrap();
        assert!(s.starts_with("go: cannot start a goroutine"), "{s}");
        // Release them: spawning works again.
        drop(tx);
        for h in hs {
            h.join().unwrap();
        }
        assert_eq!(go(|| 5).join().unwrap(), 5);
    });
}

#[test]
fn rebuilding_with_another_config_is_refused() {
    rt();
    let e = Runtime::builder().procs(3).max_goroutines(LIMIT).build().unwrap_err();
    assert!(matches!(e, BuildError::AlreadyRunning { .. }), "{e:?}");
    assert!(e.to_string().contains("already running"), "{e}");
    // The same configuration is accepted (idempotent).
    rt();
}
