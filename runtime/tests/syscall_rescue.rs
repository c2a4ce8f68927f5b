//! The system-call rescue (issue 11, `preempt/rescue.rs`) as a user meets it: a goroutine
//! blocked in a `read` it did not wrap in `blocking(..)` no longer holds up a stop-the-world
//! or a ragged barrier. The signal finds it at the restarted `syscall` instruction, the read
//! continues inside a blocking call, and its P is taken by the stop. Before the rescue the
//! stop waited until the read returned.

#![cfg(target_arch = "x86_64")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tricolor_runtime::debug::watchdog;
use tricolor_runtime::{for_each_p, go, stop_the_world, Runtime};

#[test]
fn a_stop_does_not_wait_for_an_unwrapped_read() {
    let _hang = watchdog("syscall rescue", Duration::from_secs(60));
    let rt = Runtime::builder().procs(2).build().unwrap();
    rt.block_on(|| {
        let mut fds = [0i32; 2];
        // SAFETY: pipe writes two descriptors into the array.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (rd, wr) = (fds[0], fds[1]);
        let entered = Arc::new(AtomicBool::new(false));
        let reader = {
            let entered = entered.clone();
            go(move || {
                entered.store(true, Ordering::Relaxed);
                let mut b = [0u8; 8];
                // A read straight into the kernel, holding the P: the rescue's case.
                // SAFETY: reads into a local buffer from our pipe.
                let n = unsafe { libc::read(rd, b.as_mut_ptr().cast(), b.len()) };
                (n, b[0])
            })
        };
        while !entered.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(20)); // well inside the read
        let t = Instant::now();
        for _ in 0..20 {
            drop(stop_the_world());
            for_each_p(|_| {});
        }
        let took = t.elapsed();
        let st = tricolor_runtime::stw_stats();
        eprintln!("20 stops and barriers beside a blocked read took {took:?}; {} system calls rescued", st.syscall_rescues);
        // SAFETY: writes one byte from a local to our pipe.
        assert_eq!(unsafe { libc::write(wr, [42u8].as_ptr().cast(), 1) }, 1);
        let (n, b) = reader.join().unwrap();
        assert_eq!((n, b), (1, 42), "the rescued read lost its result");
        assert!(st.syscall_rescues > 0, "the read was never rescued");
        // SAFETY: our descriptors.
        unsafe {
            libc::close(rd);
            libc::close(wr);
        }
    });
}
