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
