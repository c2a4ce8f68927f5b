//! `hooks::on_system_stack` (Go's `systemstack`): the collector runs its deep work (marking,
//! sweeping, allocation refills) on the M's own stack so that the addresses it handles never
//! land on a goroutine stack the collector scans conservatively (`sched/system_stack.rs`).

use tricolor_runtime::hooks::on_system_stack;
use tricolor_runtime::{go, Runtime};

fn rt() -> Runtime {
    Runtime::builder().procs(2).build().unwrap()
}

#[test]
fn runs_off_the_goroutine_stack_and_returns_its_value() {
    rt().block_on(|| {
        let (sp, hi) = tricolor_runtime::scan::with_current_stack(|_, sp, hi| (sp, hi));
        let lo = hi - tricolor_runtime::DEFAULT_STACK_SIZE;
        let (v, inner, seen) = on_system_stack(|| {
            let here = 0u8;
            let inner = std::hint::black_box(&here) as *const u8 as usize;
            // A scan of our own stack from in here sees the goroutine's frames, from where it
            // left its stack: inside its stack, next to the caller's frames.
            let seen = tricolor_runtime::scan::with_current_stack(|_, sp, hi| (sp, hi));
            (6 * 7, inner, seen)
        });
        assert_eq!(v, 42);
        assert!(!(lo..hi).contains(&inner), "ran at {inner:#x}, inside the goroutine stack [{lo:#x}, {hi:#x})");
        assert_eq!(seen.1, hi);
        assert!((lo..hi).contains(&seen.0) && seen.0.abs_diff(sp) < 64 << 10, "scan from {:#x}, caller at {sp:#x}", seen.0);
    });
}

#[test]
fn a_panic_resumes_on_the_goroutine() {
    rt().block_on(|| {
        let r = std::panic::catch_unwind(|| on_system_stack(|| panic!("boom on the system stack")));
        let msg = r.unwrap_err().downcast::<&str>().map(|s| *s).unwrap_or("?");
        assert_eq!(msg, "boom on the system stack");
        // The goroutine goes on normally: it can park and be resumed.
        assert_eq!(go(|| 1).join().unwrap(), 1);
    });
}

#[test]
fn nests_and_works_off_a_goroutine() {
    assert_eq!(on_system_stack(|| 3), 3, "a plain thread runs the function in place");
    rt().block_on(|| assert_eq!(on_system_stack(|| on_system_stack(|| 5)), 5));
}

#[test]
fn many_calls_from_many_goroutines() {
    rt().block_on(|| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                go(move || {
                    let mut s = 0u64;
                    for k in 0..10_000u64 {
                        s += on_system_stack(|| k * i);
                        if k % 100 == 0 {
                            tricolor_runtime::yield_now();
                        }
                    }
                    s
                })
            })
            .collect();
        for (i, h) in hs.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), (0..10_000u64).sum::<u64>() * i as u64);
        }
    });
}
