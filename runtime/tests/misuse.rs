//! Bad input gets a clear error or panic that names the misuse (issue 2).

use std::time::Duration;
use tricolor_runtime::*;

fn panic_message(r: std::thread::Result<impl Sized>) -> String {
    let p = match r {
        Ok(_) => panic!("expected a panic"),
        Err(p) => p,
    };
    p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn builder_rejects_bad_settings() {
    let e = Runtime::builder().procs(0).build().unwrap_err();
    assert_eq!(e, BuildError::ZeroProcs);
    assert!(e.to_string().contains("procs(0)"));
    let e = Runtime::builder().procs(1).stack_size(0).build().unwrap_err();
    assert!(e.to_string().contains("stack_size(0)") && e.to_string().contains("at least"), "{e}");
    let e = Runtime::builder().procs(1).stack_size(usize::MAX).build().unwrap_err();
    assert!(matches!(e, BuildError::StackTooLarge { .. }), "{e:?}");
    let e = Runtime::builder().procs(100_000).build().unwrap_err();
    assert!(matches!(e, BuildError::TooManyProcs { requested: 100_000 }), "{e:?}");
}

#[test]
fn runtime_calls_off_a_goroutine_panic_with_the_call_name() {
    for (name, r) in [
        ("go", std::panic::catch_unwind(|| drop(go(|| ())))),
        ("yield_now", std::panic::catch_unwind(yield_now)),
        ("sleep", std::panic::catch_unwind(|| sleep(Duration::from_millis(1)))),
        ("blocking", std::panic::catch_unwind(|| blocking(|| ()))),
        (
            "current_id",
            std::panic::catch_unwind(|| {
                current_id();
            }),
        ),
        ("stop_the_world", std::panic::catch_unwind(|| drop(stop_the_world()))),
    ] {
        let msg = panic_message(r);
        assert!(msg.starts_with(name) && msg.contains("not running a goroutine") && msg.contains("block_on"), "{name}: {msg}");
    }
}

#[test]
fn block_on_inside_a_goroutine_panics() {
    let msg = block_on(|| {
        let e = go(|| block_on(|| 1)).join().unwrap_err();
        e.message().unwrap().to_string()
    });
    assert!(msg.contains("block_on called from inside goroutine") && msg.contains("go()"), "{msg}");
}

#[test]
fn blocking_ops_off_a_goroutine_panic_but_try_ops_work() {
    let (tx, rx) = gsync::chan::bounded::<u32>(1);
    tx.try_send(1).unwrap();
    assert_eq!(rx.try_recv().unwrap(), 1);
    assert_eq!(rx.try_recv(), Err(gsync::chan::TryRecvError::Empty));
    let msg = panic_message(std::panic::catch_unwind(|| rx.recv()));
    assert!(msg.starts_with("chan::Receiver::recv called from a thread that is not running a goroutine"), "{msg}");
}

#[test]
fn join_error_carries_the_panic() {
    let e = block_on(|| go(|| -> () { panic!("worker {} failed", 7) }).join().unwrap_err());
    assert_eq!(e.message(), Some("worker 7 failed"));
    assert_eq!(e.to_string(), "goroutine panicked: worker 7 failed");
}

#[test]
fn panic_in_block_on_resumes_on_the_caller() {
    let msg = panic_message(std::panic::catch_unwind(|| block_on(|| panic!("inside"))));
    assert_eq!(msg, "inside");
}

#[test]
fn waitgroup_negative_counter_panics() {
    let e = block_on(|| go(|| gsync::WaitGroup::new().done()).join().unwrap_err());
    assert!(e.message().unwrap().contains("negative counter"), "{e}");
}
