//! Goroutine creation at scale: stacks are pooled, so a million goroutines in waves of ten
//! thousand alive run in bounded memory (issue 2).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tricolor_runtime::*;

fn rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[test]
fn million_goroutines_in_waves_of_ten_thousand() {
    const WAVE: u64 = 10_000;
    const WAVES: u64 = 100;
    let ran = Arc::new(AtomicU64::new(0));
    let mut rss_after_first = 0;
    for wave in 0..WAVES {
        let r = ran.clone();
        let sum = block_on(move || {
            let hs: Vec<_> = (0..WAVE)
                .map(|i| {
                    let r = r.clone();
                    go(move || {
                        r.fetch_add(1, Ordering::Relaxed);
                        i
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).sum::<u64>()
        });
        assert_eq!(sum, WAVE * (WAVE - 1) / 2);
        if wave == 0 {
            rss_after_first = rss_kib();
        }
    }
    assert_eq!(ran.load(Ordering::Relaxed), WAVE * WAVES);
    // Stacks are reused: after the first wave, memory must not keep growing with each wave.
    let rss_end = rss_kib();
    assert!(rss_end < rss_after_first + 64 * 1024, "RSS grew from {rss_after_first} KiB after one wave to {rss_end} KiB after {WAVES}");
}
