//! The line format shared by every workload program and its peers; `run.sh` reads only lines
//! that start with `metric`, so anything else a program prints is commentary.
//!
//! ```text
//! metric <name> <value> <unit>
//! ```
//!
//! `<name>` has no spaces and is the same on every side; `<value>` is a decimal number; the
//! unit says which way is better (`ns/op`, `ms`: lower; `ops/s`, `MB/s`: higher).

use std::time::Duration;

/// Prints one `metric` line.
pub fn metric(name: &str, value: f64, unit: &str) {
    assert!(
        !name.contains(char::is_whitespace) && !unit.contains(char::is_whitespace),
        "report::metric: name {name:?} and unit {unit:?} must not contain spaces (run.sh splits on them)"
    );
    println!("metric {name} {value:.2} {unit}");
}

/// Prints `elapsed / ops` as a `ns/op` metric.
pub fn ns_per_op(name: &str, elapsed: Duration, ops: u64) {
    metric(name, elapsed.as_nanos() as f64 / ops.max(1) as f64, "ns/op");
}

/// Prints a duration as a `ms` metric (the peers' `peer.Ms` / `peer_metric(.., "ms")`).
pub fn ms(name: &str, elapsed: Duration) {
    metric(name, elapsed.as_secs_f64() * 1e3, "ms");
}

/// `VmHWM` from `/proc/self/status`: the most resident memory the process has had so far, in
/// KiB (0 if the file cannot be read), as the peers read it.
pub fn peak_rss_kib() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/status") else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Prints `peak_rss_kib` as the `peak_rss` metric in KiB.
pub fn peak_rss() {
    metric("peak_rss", peak_rss_kib() as f64, "KiB");
}
