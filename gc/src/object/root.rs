//! Explicit roots: `Root<T>` handles (a `Gc` the collector treats as reachable while the handle
//! lives, wherever the handle is kept — a `Vec`, a channel, a thread, a `static`), and VM root
//! scanners (callbacks that report pointers from the VM's own structures, such as an
//! interpreter's value stack in Rust memory).

use crate::object::gc::Gc;
use crate::object::trace::Tracer;
use crate::sync::Mutex;
use std::fmt;

/// The root table: one word per live `Root` (0 = free slot).
#[derive(Debug, Default)]
pub(crate) struct RootTable {
    slots: Vec<usize>,
    free: Vec<usize>,
}

type Scanner = Box<dyn Fn(&mut Tracer<'_>) + Send + Sync>;

/// Roots known to the collector.
pub(crate) struct Roots {
    table: Mutex<RootTable>,
    scanners: Mutex<Vec<Option<Scanner>>>,
}

impl fmt::Debug for Roots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Roots").finish_non_exhaustive()
    }
}

impl Default for Roots {
    fn default() -> Self {
        Roots { table: Mutex::new(RootTable::default()), scanners: Mutex::new(Vec::new()) }
    }
}

impl Roots {
    fn add(&self, addr: usize) -> usize {
        let _np = tricolor_runtime::NoPreempt::new();
        let mut t = self.table.lock();
        match t.free.pop() {
            Some(i) => {
                t.slots[i] = addr;
                i
            }
            None => {
                t.slots.push(addr);
                t.slots.len() - 1
            }
        }
    }

    fn remove(&self, i: usize) {
        let _np = tricolor_runtime::NoPreempt::new();
        let mut t = self.table.lock();
        t.slots[i] = 0;
        t.free.push(i);
    }

    /// Reports every root handle: a concurrent root job, under the table's lock (`Root::new`
    /// and drop shade what they add or remove while marking, so the job may come before or
    /// after them).
    pub(crate) fn trace_handles(&self, t: &mut Tracer<'_>) {
        for &a in self.table.lock().slots.iter() {
            t.edge(a);
        }
    }

    /// Runs every VM root scanner (world stopped).
    pub(crate) fn trace_scanners(&self, t: &mut Tracer<'_>) {
        for s in self.scanners.lock().iter().flatten() {
            s(t);
        }
    }

    /// Live root handles.
    #[allow(dead_code)] // used by tests and diagnostics
    pub(crate) fn handle_count(&self) -> usize {
        let t = self.table.lock();
        t.slots.len() - t.free.len()
    }
}

/// A `Gc` that stays alive while this handle exists, wherever the handle is stored.
pub struct Root<T> {
    gc: Gc<T>,
    slot: usize,
}

// SAFETY: the handle only exposes the `Gc`, which is Send/Sync when `T: Sync`.
unsafe impl<T: Sync> Send for Root<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for Root<T> {}

impl<T> Root<T> {
    /// Roots `gc` until the handle is dropped.
    pub fn new(gc: Gc<T>) -> Root<T> {
        let slot = crate::collector::collector().roots.add(gc.addr());
        // A new root while marking: the handles' root job may have passed (root mutation).
        crate::mark::barrier::shade(gc.addr());
        Root { gc, slot }
    }

    /// The rooted pointer.
    pub fn get(&self) -> Gc<T> {
        self.gc
    }
}

impl<T> Clone for Root<T> {
    fn clone(&self) -> Self {
        Root::new(self.gc)
    }
}

impl<T> std::ops::Deref for Root<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // The Gc's own deref does the debug checks.
        let g: &Gc<T> = &self.gc;
        g
    }
}

impl<T> Drop for Root<T> {
    fn drop(&mut self) {
        // Deletion while marking: a stack already scanned may hold what only this root kept.
        crate::mark::barrier::shade(self.gc.addr());
        crate::collector::collector().roots.remove(self.slot);
    }
}

impl<T> fmt::Debug for Root<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root({:?})", self.gc)
    }
}

/// A registered VM root scanner; unregistered on drop.
#[derive(Debug)]
pub struct RootScanner {
    index: usize,
}

/// Registers `f`, called during every collection (with the world stopped, on any thread) to
/// report pointers held in the VM's own memory with `Tracer::edge`. It must not allocate, block
/// or take locks that goroutines may hold.
pub fn add_root_scanner(f: impl Fn(&mut Tracer<'_>) + Send + Sync + 'static) -> RootScanner {
    let c = crate::collector::collector();
    let _np = tricolor_runtime::NoPreempt::new();
    let mut v = c.roots.scanners.lock();
    v.push(Some(Box::new(f)));
    RootScanner { index: v.len() - 1 }
}

impl Drop for RootScanner {
    fn drop(&mut self) {
        let c = crate::collector::collector();
        let _np = tricolor_runtime::NoPreempt::new();
        c.roots.scanners.lock()[self.index] = None;
    }
}
