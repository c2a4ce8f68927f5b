//! `Resource`: a counted OS resource (file descriptors, sockets, handles) whose units are
//! released by cleanups. When a program opens files faster than collections find the dead
//! objects owning them, the process runs out of descriptors long before the heap is large
//! enough to start a cycle (issue 12 item 8: 250 files under `ulimit -n 256` failed with
//! EMFILE before any collection ran). A `Resource` counts units in use; an `acquire` that
//! finds the count at the limit runs a collection, waits for the cleanups it queued (which
//! release their units), and tries again.
//!
//! ```
//! use tricolor_cleanup::{Owned, Resource, ResourceToken};
//! static FILES: Resource = Resource::new("open files", 32);
//!
//! tricolor_runtime::block_on(|| {
//!     for _ in 0..200 {
//!         // Each file lives as long as its object; the token goes back when the cleanup
//!         // drops the pair.
//!         let token: ResourceToken = FILES.acquire().expect("a descriptor");
//!         let file = std::fs::File::open("/dev/null").unwrap();
//!         let _f = Owned::new((file, token));
//!     }
//!     assert!(FILES.in_use() <= 32);
//! });
//! ```

use std::fmt;
// Plain std atomics (not the loom façade): a counter with no protocol to model, built in
// `const` context so a `Resource` can be a `static`.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How many collect-and-wait rounds an `acquire` at the limit tries before giving up.
const ROUNDS: usize = 3;

/// A counted resource released by cleanups. Usually a `static`.
#[derive(Debug)]
pub struct Resource {
    name: &'static str,
    limit: usize,
    /// Units in use. Relaxed is enough for a counter compared with a limit: the units
    /// themselves (descriptors) are synchronised by the OS calls that create and close them.
    in_use: AtomicUsize,
}

/// One unit of a `Resource`, given back when dropped (by the cleanup that drops its owner).
#[derive(Debug)]
pub struct ResourceToken {
    res: &'static Resource,
}

/// `Resource::acquire` found the resource at its limit after collecting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceExhausted {
    /// The resource's name.
    pub name: &'static str,
    /// Its limit.
    pub limit: usize,
    /// Why: collections did not free a unit, or none could run here.
    pub reason: &'static str,
}

impl fmt::Display for ResourceExhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: all {} in use ({})", self.name, self.limit, self.reason)
    }
}

impl std::error::Error for ResourceExhausted {}

impl Resource {
    /// A resource of `limit` units.
    ///
    /// # Panics
    /// If `limit` is 0.
    pub const fn new(name: &'static str, limit: usize) -> Resource {
        assert!(limit > 0, "Resource::new: a limit of 0 units");
        Resource { name, limit, in_use: AtomicUsize::new(0) }
    }

    /// Takes a unit without collecting: `None` at the limit.
    pub fn try_acquire(&'static self) -> Option<ResourceToken> {
        self.in_use
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n < self.limit).then_some(n + 1))
            .ok()
            .map(|_| ResourceToken { res: self })
    }

    /// Takes a unit; at the limit, runs a collection, waits for the cleanups it queued, and
    /// tries again (up to three rounds).
    ///
    /// # Errors
    /// `ResourceExhausted` if no unit came free, or the limit was hit off a goroutine (or
    /// inside `blocking`), where no collection can run.
    pub fn acquire(&'static self) -> Result<ResourceToken, ResourceExhausted> {
        if let Some(t) = self.try_acquire() {
            return Ok(t);
        }
        if tricolor_runtime::hooks::pin_proc().is_err() {
            return Err(self.exhausted("no collection can run off a goroutine or inside blocking(..)"));
        }
        for _ in 0..ROUNDS {
            tricolor_gc::collect();
            // The cleanups this cycle queued release their units as they run.
            crate::wait_idle(Duration::from_secs(1));
            if let Some(t) = self.try_acquire() {
                return Ok(t);
            }
        }
        Err(self.exhausted("collections freed none: the objects owning them are still reachable"))
    }

    fn exhausted(&self, reason: &'static str) -> ResourceExhausted {
        ResourceExhausted { name: self.name, limit: self.limit, reason }
    }

    /// Units in use now.
    pub fn in_use(&self) -> usize {
        self.in_use.load(Ordering::Relaxed)
    }

    /// The limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl Drop for ResourceToken {
    fn drop(&mut self) {
        // Relaxed: see `Resource::in_use`.
        let prev = self.res.in_use.fetch_sub(1, Ordering::Relaxed);
        if prev == 0 {
            tricolor_runtime::throw!("cleanup: Resource {:?} released more units than were taken", self.res.name);
        }
    }
}
