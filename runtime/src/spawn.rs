//! Creating goroutines (`go`, Go's `newproc`), joining them (`JoinHandle`), and entering the
//! runtime from an ordinary thread (`block_on`).
//!
//! One allocation per spawn: the packet holds the closure, then the result, and the joiner's
//! registration. Join protocol: the goroutine stores its result, then swaps `state` to DONE; a
//! joiner registers itself in its park commit with a CAS RUNNING → WAITING that fails if the
//! result is already there (then it does not sleep). Whoever sees the other's mark acts: the
//! finisher that swaps out WAITING readies the joiner.

use crate::arch::{Arch, Cpu};
use crate::g::{gfget, stack::Stack, Entry, GStatus, G};
use crate::m::{current_m, SwitchOut};
use crate::preempt::NoPreempt;
use crate::sched::idle::wakep;
use crate::sched::park::{current, expect_goroutine, mcall, park, ready, WaitReason};
use crate::sched::schedule::{globrunqput, runqput};
use crate::sched::{sched, Sched};
use crate::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::any::Any;
use std::cell::UnsafeCell;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::Arc;

const RUNNING: u32 = 0;
const WAITING: u32 = 1;
const DONE: u32 = 2;
/// The joiner took the result.
const TAKEN: u32 = 3;

/// A finished goroutine's result that may still hold heap pointers: the collector scans it
/// (conservatively) until it is joined or its handle is dropped. DESIGN decision 1 makes
/// memory outside goroutine stacks invisible to the collector; a result waiting in its spawn
/// packet between the goroutine's exit and `join` is such memory, so it is listed here.
pub(crate) trait PendingResult: Send + Sync {
    /// Whether the result was taken by `join`.
    fn taken(&self) -> bool;
    /// Address and size of the stored result.
    fn bytes(&self) -> (usize, usize);
}

/// One P's unjoined results. Owner-only (in `POwned`); pruned in amortised batches and by the
/// collector while the world is stopped.
#[derive(Default)]
pub(crate) struct PendingResults {
    list: Vec<Arc<dyn PendingResult>>,
    prune_at: usize,
}

impl fmt::Debug for PendingResults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingResults").field("len", &self.list.len()).finish()
    }
}

fn pending_done(r: &Arc<dyn PendingResult>) -> bool {
    // Taken, or the handle was dropped (we hold the last reference): nobody can read it.
    r.taken() || Arc::strong_count(r) == 1
}

impl PendingResults {
    fn push(&mut self, r: Arc<dyn PendingResult>) {
        self.list.push(r);
        if self.list.len() >= self.prune_at.max(64) {
            self.prune();
            self.prune_at = self.list.len() * 2;
        }
    }

    fn prune(&mut self) {
        self.list.retain(|r| !pending_done(r));
    }

    /// Collector (world stopped): prune, then report each live result's bytes.
    pub(crate) fn scan(&mut self, f: &mut dyn FnMut(usize, usize)) {
        self.prune();
        for r in &self.list {
            let (p, n) = r.bytes();
            f(p, n);
        }
    }
}

/// Goroutine ids handed to a P at a time.
const GOID_BATCH: u64 = 16;

/// Why a goroutine could not be created.
#[derive(Debug)]
pub enum SpawnError {
    /// `Config::max_goroutines` goroutines are alive. Each costs two kernel mappings
    /// (`vm.max_map_count`), so the limit protects the process from a mapping failure.
    TooManyGoroutines {
        /// The configured limit.
        limit: usize,
    },
    /// The kernel refused to map a stack.
    Stack(std::io::Error),
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::TooManyGoroutines { limit } => write!(
                f,
                "cannot start a goroutine: {limit} goroutines are alive, the limit set by \
                 max_goroutines (TRICOLOR_MAX_GOROUTINES); each stack costs two of the kernel's \
                 vm.max_map_count mappings"
            ),
            SpawnError::Stack(e) => write!(f, "cannot map a goroutine stack: {e}"),
        }
    }
}

impl std::error::Error for SpawnError {}

/// The goroutine panicked; holds the panic payload.
pub struct JoinError {
    payload: Box<dyn Any + Send + 'static>,
}

impl JoinError {
    /// The value the goroutine panicked with.
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.payload
    }

    /// The panic message, if it was a string.
    pub fn message(&self) -> Option<&str> {
        crate::debug::panic_message(&*self.payload)
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinError").field("message", &self.message()).finish()
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.message() {
            Some(m) => write!(f, "goroutine panicked: {m}"),
            None => f.write_str("goroutine panicked"),
        }
    }
}

impl std::error::Error for JoinError {}

/// The spawn packet: closure, then result; see the module docs for the join protocol.
struct Packet<F, T> {
    state: AtomicU32,
    waiter: AtomicPtr<G>,
    f: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<Result<T, JoinError>>>,
}

// SAFETY: `f` is taken once by the goroutine; `result` is written once by the goroutine before
// the DONE swap (Release) and read once by the joiner after observing DONE (Acquire).
unsafe impl<F: Send, T: Send> Sync for Packet<F, T> {}

impl<F: FnOnce() -> T + Send + 'static, T: Send + 'static> Entry for Packet<F, T> {
    fn run(self: Arc<Self>, start: NoPreempt) {
        // SAFETY: only the goroutine itself reaches here, once.
        let f = unsafe { (*self.f.get()).take() }.unwrap_or_else(|| crate::throw!("runtime: goroutine body ran twice"));
        if std::mem::size_of::<T>() >= std::mem::size_of::<usize>() {
            // The result may hold a heap pointer: the slot is a root from now until it is
            // joined (`POwned::results`, scanned when a cycle starts). Registered before the
            // body runs, so that no cycle can start between the result's write and its
            // registration (the value is built in the slot, not on our stack: a stop there
            // found it nowhere). Still in `start`, so `m.p()` is ours.
            let p = start.m().and_then(|m| m.p()).unwrap_or_else(|| crate::throw!("runtime: goroutine started without a P"));
            p.with_owned(|o| o.results.push(self.clone()));
        }
        drop(start);
        let slot = self.result.get();
        // The value is built in place, straight into the zeroed slot (no temporary whose
        // unused bytes would carry the body's old words along: the slot is scanned
        // conservatively until joined, decision 15).
        // SAFETY: the joiner reads `result` only after seeing DONE below; the slot holds a
        // `None` (nothing to drop) until we write it, once.
        let done = catch_unwind(AssertUnwindSafe(|| unsafe { slot.write(Some(Ok(f()))) }));
        if let Err(payload) = done {
            // SAFETY: as above; the body panicked before its write.
            unsafe { slot.write(Some(Err(JoinError { payload }))) };
        }
        if std::mem::size_of::<T>() >= std::mem::size_of::<usize>() {
            // The result moved off our stack into the packet, a root the marker may already
            // have scanned (results are scanned when a cycle starts): shade it while marking.
            let _np = NoPreempt::new();
            crate::hooks::shade_range(slot as usize, slot as usize + std::mem::size_of::<Option<Result<T, JoinError>>>());
        }
        // AcqRel: Release publishes the result; Acquire pairs with the joiner's registration.
        if self.state.swap(DONE, Ordering::AcqRel) == WAITING {
            let g = self.waiter.load(Ordering::Acquire);
            // SAFETY: G records are never freed; the joiner stored itself before WAITING.
            ready(unsafe { &*g });
        }
    }
}

impl<F: Send, T: Send> PendingResult for Packet<F, T> {
    fn taken(&self) -> bool {
        self.state.load(Ordering::Acquire) == TAKEN
    }
    fn bytes(&self) -> (usize, usize) {
        (self.result.get() as usize, std::mem::size_of::<Option<Result<T, JoinError>>>())
    }
}

trait JoinSlot<T>: Send + Sync {
    fn join(&self) -> Result<T, JoinError>;
    fn is_finished(&self) -> bool;
}

impl<F: FnOnce() -> T + Send, T: Send> JoinSlot<T> for Packet<F, T> {
    fn join(&self) -> Result<T, JoinError> {
        if self.state.load(Ordering::Acquire) != DONE {
            expect_goroutine("JoinHandle::join");
            park(WaitReason::Join, |g| {
                self.waiter.store(g.as_ptr(), Ordering::Release);
                // Fails (we resume at once) if the goroutine finished meanwhile.
                self.state.compare_exchange(RUNNING, WAITING, Ordering::AcqRel, Ordering::Acquire).is_ok()
            });
            debug_assert_eq!(self.state.load(Ordering::Acquire), DONE);
        }
        // SAFETY: DONE was observed with Acquire; the goroutine no longer touches `result`,
        // and `join` consumes the only handle.
        let r = unsafe { (*self.result.get()).take() }.unwrap_or_else(|| crate::throw!("runtime: goroutine result taken twice"));
        // Release: the collector may stop listing the packet once it sees TAKEN.
        self.state.store(TAKEN, Ordering::Release);
        r
    }

    fn is_finished(&self) -> bool {
        self.state.load(Ordering::Acquire) >= DONE
    }
}

/// Owned permission to wait for a goroutine and take its result. Dropping it detaches the
/// goroutine.
pub struct JoinHandle<T> {
    slot: Arc<dyn JoinSlot<T>>,
    goid: u64,
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("goid", &self.goid).finish_non_exhaustive()
    }
}

impl<T> JoinHandle<T> {
    /// Parks until the goroutine finishes; returns its value, or its panic as an error. Must
    /// be called on a goroutine.
    pub fn join(self) -> Result<T, JoinError> {
        self.slot.join()
    }

    /// Whether the goroutine has finished.
    pub fn is_finished(&self) -> bool {
        self.slot.is_finished()
    }

    /// The goroutine's id.
    pub fn id(&self) -> u64 {
        self.goid
    }
}

/// Starts a goroutine running `f`. Must be called on a goroutine.
///
/// # Panics
/// Off a goroutine, or when the goroutine limit is reached (see `try_go`).
#[track_caller]
pub fn go<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    match try_go(f) {
        Ok(h) => h,
        Err(e) => panic!("go: {e}"),
    }
}

/// Starts a goroutine running `f`, or reports why it cannot.
#[track_caller]
pub fn try_go<F, T>(f: F) -> Result<JoinHandle<T>, SpawnError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    expect_goroutine("go");
    // Runtime calls are safepoints (DESIGN decision 5): a goroutine spawning in a loop must
    // not hold off a stop-the-world.
    crate::preempt::safepoint();
    // From here until `newproc` has published the packet as the G's entry (and shaded it
    // while marking), the captures may be nowhere but in the packet on the system heap, which
    // no scan reads: no stop or stack scan may happen in between (the spawner suspended there
    // by the signal for mark termination would let them be freed).
    let np = NoPreempt::new();
    let packet = Arc::new(Packet {
        state: AtomicU32::new(RUNNING),
        waiter: AtomicPtr::new(std::ptr::null_mut()),
        f: UnsafeCell::new(Some(f)),
        result: UnsafeCell::new(None),
    });
    // The result slot is scanned conservatively once the goroutine finishes (decision 15):
    // `None` wrote only its tag, and the allocator's old bytes behind it (an earlier packet's
    // result, heap addresses included) would show through a result's padding and unused enum
    // bytes. Zero them first.
    // SAFETY: nobody else has the packet yet; the slot is overwritten with a valid `None`
    // right after the zeroing (ptr::write: the zeroed bytes are never dropped).
    unsafe {
        let slot = packet.result.get();
        std::ptr::write_bytes(slot.cast::<u8>(), 0, std::mem::size_of::<Option<Result<T, JoinError>>>());
        std::ptr::write(slot, None);
    }
    let goid = newproc(sched(), packet.clone(), np)?;
    Ok(JoinHandle { slot: packet, goid })
}

/// The current goroutine's id.
///
/// # Panics
/// Off a goroutine.
pub fn current_id() -> u64 {
    expect_goroutine("current_id").1.goid()
}

/// Makes a runnable G for `entry` (Go's `newproc`): from the free list or freshly mapped,
/// queued in the current P's `runnext`, or globally when called without a P. Runs in the
/// caller's no-preempt section `np` (`try_go`'s: see there), dropped before the final `wakep`.
pub(crate) fn newproc(s: &'static Sched, entry: Arc<dyn Entry>, np: NoPreempt) -> Result<u64, SpawnError> {
    let limit = s.cfg.max_goroutines;
    if s.alive.fetch_add(1, Ordering::AcqRel) >= limit {
        s.alive.fetch_sub(1, Ordering::AcqRel);
        return Err(SpawnError::TooManyGoroutines { limit });
    }
    let p = np.m().and_then(|m| m.p());
    let reused = match p {
        Some(p) => gfget(s, p),
        None => s.gfree.lock().pop(),
    };
    let g: &'static G = match reused {
        Some(g) => {
            g.status.cas(GStatus::Dead, GStatus::Idle);
            g
        }
        None => match Stack::new(s.cfg.stack_size) {
            Ok(stack) => {
                let g: &'static G = Box::leak(Box::new(G::new(stack)));
                s.allgs.lock().push(g);
                g
            }
            Err(e) => {
                s.alive.fetch_sub(1, Ordering::AcqRel);
                return Err(SpawnError::Stack(e));
            }
        },
    };
    let goid = match p {
        Some(p) => p.with_owned(|o| {
            if o.goid_next == o.goid_end {
                o.goid_next = s.goid_gen.fetch_add(GOID_BATCH, Ordering::Relaxed);
                o.goid_end = o.goid_next + GOID_BATCH;
            }
            o.goid_next += 1;
            o.goid_next - 1
        }),
        None => s.goid_gen.fetch_add(1, Ordering::Relaxed),
    };
    g.goid.store(goid, Ordering::Relaxed);
    g.preempt.store(false, Ordering::Relaxed);
    // The body's captures moved from the spawner's stack into the packet; a goroutine spawned
    // while marking may not be in the marker's snapshot: shade them (Go write-barriers the
    // new G's closure pointer for the same reason).
    let (lo, n) = (Arc::as_ptr(&entry) as *const u8 as usize, std::mem::size_of_val(&*entry));
    crate::hooks::shade_range(lo, lo + n);
    // SAFETY: the G is Idle and not yet published; we are its only owner.
    g.entry.with_mut(|e| unsafe { *e = Some(entry) });
    let top = g.stack.hi() & !15;
    let ctx = Cpu::new_entry(top, goroutine_main, g as *const G as usize);
    // SAFETY: as above.
    g.ctx.with_mut(|c| unsafe { *c = ctx });
    // Release (inside cas): the entry and context are visible to whichever M runs it.
    g.status.cas(GStatus::Idle, GStatus::Runnable);
    match p {
        Some(p) => runqput(s, p, g, true),
        None => globrunqput(s, g),
    }
    drop(np);
    wakep(s);
    Ok(goid)
}

/// First Rust frame of every goroutine (called by the architecture trampoline).
extern "C" fn goroutine_main(arg: usize) -> ! {
    // SAFETY: `arg` is the G pointer `newproc` put in the initial context; records are never
    // freed.
    let g: &'static G = unsafe { &*(arg as *const G) };
    // From the entry's removal until the body is on our stack (`Entry::run`).
    let start = NoPreempt::new();
    // SAFETY: the running G owns its entry slot.
    let entry = g.entry.with_mut(|e| unsafe { (*e).take() }).unwrap_or_else(|| crate::throw!("runtime: goroutine without a body"));
    entry.run(start); // never unwinds: the packet catches panics
    mcall(SwitchOut::Exit);
    crate::os::signal::fatal("runtime: dead goroutine resumed");
}

/// Completion of a `block_on` main goroutine, waited for by an ordinary thread.
struct BlockOn<F, T> {
    done: std::sync::Mutex<bool>,
    cv: std::sync::Condvar,
    f: UnsafeCell<Option<F>>,
    result: UnsafeCell<Option<std::thread::Result<T>>>,
}

// SAFETY: `f` is taken once by the goroutine; `result` is written before `done` is set under
// the mutex and read by the waiter after it sees `done` under the same mutex.
unsafe impl<F: Send, T: Send> Sync for BlockOn<F, T> {}

impl<F: FnOnce() -> T + Send, T: Send> Entry for BlockOn<F, T> {
    fn run(self: Arc<Self>, start: NoPreempt) {
        // SAFETY: only the goroutine takes `f`, once.
        let f = unsafe { (*self.f.get()).take() }.unwrap_or_else(|| crate::throw!("runtime: block_on body ran twice"));
        drop(start);
        let r = catch_unwind(AssertUnwindSafe(f));
        // SAFETY: the waiter reads `result` only after seeing `done` under the mutex.
        unsafe { *self.result.get() = Some(r) };
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_all();
    }
}

/// Runs `f` as a goroutine and blocks the calling thread until it returns, then returns its
/// value (a panic in `f` resumes on the caller). Any number of threads may be inside
/// `block_on` at once; they share the process-wide runtime.
///
/// # Panics
/// When called on a goroutine (a goroutine must not block its thread: use `go` and `join`).
pub(crate) fn block_on_in<F, T>(s: &'static Sched, f: F) -> T
where
    F: FnOnce() -> T + Send,
    T: Send,
{
    if let Some((_, g)) = current() {
        panic!(
            "block_on called from inside goroutine {}: a goroutine must not block its thread; \
             start the work with go() and wait with JoinHandle::join",
            g.goid()
        );
    }
    if current_m().is_some() {
        panic!("block_on called on a runtime thread (g0): timer and scheduler callbacks must not block");
    }
    let packet: Arc<BlockOn<F, T>> = Arc::new(BlockOn {
        done: std::sync::Mutex::new(false),
        cv: std::sync::Condvar::new(),
        f: UnsafeCell::new(Some(f)),
        result: UnsafeCell::new(None),
    });
    let entry: Arc<dyn Entry + '_> = packet.clone();
    // We wait below until the goroutine has published its result and will never touch `f`,
    // `T` or anything they borrow again (the packet's remaining references only drop `None`s)
    // — the same argument as std's scoped threads.
    // SAFETY: the erased borrow outlives every use of it (we block until the result is in).
    let entry: Arc<dyn Entry + 'static> = unsafe { std::mem::transmute(entry) };
    if let Err(e) = newproc(s, entry, NoPreempt::new()) {
        panic!("block_on: {e}");
    }
    let mut done = packet.done.lock().unwrap_or_else(|e| e.into_inner());
    while !*done {
        done = packet.cv.wait(done).unwrap_or_else(|e| e.into_inner());
    }
    drop(done);
    // SAFETY: `done` was set after the result, under the mutex we just held.
    match unsafe { (*packet.result.get()).take() }.unwrap_or_else(|| crate::throw!("runtime: block_on without a result")) {
        Ok(v) => v,
        Err(payload) => resume_unwind(payload),
    }
}
