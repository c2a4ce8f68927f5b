//! A dead goroutine's stack goes back to a free list and the next goroutine inherits it; the
//! exit must zero everything the dead one wrote, or the successor's conservatively scanned
//! frames inherit its heap addresses in their padding (issue 9 item 5). The exit clears down to
//! the deepest point it knows of: switch-outs and, since issue 10, every no-preempt section
//! (allocation, barrier, runtime locks). This test failed before that: words written 40 KiB
//! deep inside a no-preempt section (where an allocation's frames live) survived the exit,
//! because only switch-outs and allocation slow paths recorded their depth.

use tricolor_runtime::{go, NoPreempt, Runtime};

const PATTERN: usize = 0x5eed_dead_beef_0001;

/// Recurses `depth` frames of about 1 KiB, then writes the pattern inside a no-preempt
/// section at the bottom (where an allocation fast path would leave an address).
#[inline(never)]
fn deep(depth: usize) -> usize {
    let mut frame = [0usize; 128];
    std::hint::black_box(&mut frame);
    if depth == 0 {
        let _np = NoPreempt::new();
        let mut words = [PATTERN; 16];
        std::hint::black_box(&mut words);
        return words[3];
    }
    deep(depth - 1) + frame[depth % 128]
}

/// The successor's view: its stack top, and whether the pattern is anywhere in the 256 KiB
/// below its own frame (memory below the stack pointer is the dead goroutine's).
fn successor() -> (usize, bool) {
    tricolor_runtime::scan::with_current_stack(|_, sp, hi| {
        let lo = hi - (256 << 10);
        let mut found = false;
        let mut p = lo;
        while p < sp {
            // SAFETY: our own stack mapping below our stack pointer (mapped, readable; nothing
            // of ours lives there).
            if unsafe { std::ptr::read_volatile(p as *const usize) } == PATTERN {
                found = true;
            }
            p += 8;
        }
        (hi, found)
    })
}

#[test]
fn words_written_deep_in_a_no_preempt_section_do_not_reach_the_next_goroutine() {
    let rt = Runtime::builder().procs(1).stack_size(1 << 20).build().unwrap();
    rt.block_on(|| {
        let mut reused = 0;
        for round in 0..20 {
            let (hi, _) = go(|| (successor().0, deep(40))).join().unwrap();
            let (hi2, found) = go(successor).join().unwrap();
            if hi2 == hi {
                reused += 1;
                assert!(!found, "round {round}: the dead goroutine's words reached its successor's stack");
            }
        }
        assert!(reused > 0, "no successor reused the dead goroutine's stack; the test proves nothing");
    });
}
