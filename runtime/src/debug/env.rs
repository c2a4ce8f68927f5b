//! `TRICOLOR_DEBUG`: comma-separated `name=value` settings read once (Go's `GODEBUG`), e.g.
//! `TRICOLOR_DEBUG=schedtrace=1000,gctrace=1`. Every crate reads its settings through
//! `debug_var`; unknown names are ignored, as Go does, so one variable serves all layers.

use std::collections::HashMap;
use std::sync::OnceLock;

fn vars() -> &'static HashMap<String, String> {
    static VARS: OnceLock<HashMap<String, String>> = OnceLock::new();
    VARS.get_or_init(|| {
        let raw = std::env::var("TRICOLOR_DEBUG").unwrap_or_default();
        raw.split(',')
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.trim().to_string(), v.trim().to_string()))
            })
            .collect()
    })
}

/// The integer value of setting `name` in `TRICOLOR_DEBUG`, if present.
///
/// # Panics
/// If the setting is present but not an integer (`TRICOLOR_DEBUG=gctrace=yes`): a silent
/// default would hide the mistake.
pub fn debug_var(name: &str) -> Option<i64> {
    let v = vars().get(name)?;
    Some(v.parse().unwrap_or_else(|_| panic!("TRICOLOR_DEBUG: {name}={v:?} is not an integer (expected e.g. {name}=1)")))
}
