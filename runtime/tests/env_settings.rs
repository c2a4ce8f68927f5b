//! Settings from the environment that are out of range name the variable, not a builder call
//! nobody made (issue 9 item 8: `TRICOLOR_PROCS=0` blamed `Runtime::builder().procs(0)`).
//! Its own binary: it sets process environment variables.

use tricolor_runtime::Runtime;

#[test]
fn out_of_range_variables_are_named() {
    for (var, value, want) in [
        ("TRICOLOR_PROCS", "0", "environment variable TRICOLOR_PROCS=\"0\": a runtime needs at least one P"),
        ("TRICOLOR_PROCS", "100000", "environment variable TRICOLOR_PROCS=\"100000\": at most"),
        ("TRICOLOR_STACK_SIZE", "1k", "environment variable TRICOLOR_STACK_SIZE=\"1k\": goroutine stacks must be at least"),
        ("TRICOLOR_MAX_GOROUTINES", "0", "environment variable TRICOLOR_MAX_GOROUTINES=\"0\": must be between 1 and"),
        ("TRICOLOR_PROCS", "two", "environment variable TRICOLOR_PROCS=\"two\" is not a valid value"),
    ] {
        // Edition 2021: a safe fn; nothing else in this process reads the environment (no
        // runtime is running: every build below fails).
        std::env::set_var(var, value);
        let e = Runtime::builder().build().expect_err(var).to_string();
        std::env::remove_var(var);
        assert!(e.starts_with(want), "{var}={value}: {e}");
        assert!(!e.contains("builder()"), "{var}={value} blames a builder call: {e}");
    }
    // The builder's own calls still name themselves.
    let e = Runtime::builder().procs(0).build().expect_err("procs(0)").to_string();
    assert!(e.contains("Runtime::builder().procs(0)"), "{e}");
}
