//! The network poller (Go's `netpoll.go` + `netpoll_epoll.go`; reference §5.4, §6.3): goroutines
//! park until a file descriptor is ready, and the scheduler finds them through epoll.
//!
//! - `slot.rs`: one direction's waiter slot, the wait/ready/cancel protocol (steps 1-5).
//! - `pd.rs`: poll descriptors (two slots, closing, deadlines on runtime timers), never freed.
//! - `epoll.rs`: the epoll instance and the eventfd that breaks a blocking wait.
//! - here: the process-wide `Netpoll` (lazily made by the first socket) and the four places
//!   the scheduler polls, cited as "poll point N":
//!   1. `find_runnable`, with a P and nothing queued: a non-blocking poll (`poll_for_p`).
//!   2. `find_runnable`, about to sleep without a P: one M at a time blocks in `epoll_wait`
//!      until the earliest timer instead of sleeping (`block_in_poll`; Go's `sched.lastpoll`
//!      is 0 while it does). An earlier timer breaks the wait (`wake_for_timer`).
//!   3. sysmon, when nobody has polled for 10 ms (`sysmon_poll`).
//!   4. start-the-world, before Ms are woken (`poll_and_inject`; Go's `startTheWorldWithSema`).
//!
//! Poll points 2 and 3 run without a P and may find goroutines while the world is stopped and
//! while a scanner holds their scan bit: they go to the global run queue through
//! `park::ready_list_global`, whose status change is `GStatusCell::cas` from Waiting — it waits
//! only for a scanner that is on its CPU and never waits for the goroutine (invariant 15), never
//! for the stop to end. Nothing on these paths waits for a state a stopped goroutine owns
//! (seed 000): the slot transitions are single CASes from the observed value (`slot.rs`).

mod epoll;
pub(crate) mod pd;
pub(crate) mod slot;

pub(crate) use pd::{Mode, PollDesc, PollError};

use crate::g::G;
use crate::lock::RtMutex;
use crate::m::M;
use crate::sched::Sched;
use crate::sync::atomic::{fence, AtomicBool, AtomicI64, AtomicU32, Ordering};
use crate::time::nanotime;
use epoll::{Epoll, BREAK_TAG, READ_EVENTS, WRITE_EVENTS};
use std::io;
use std::os::fd::RawFd;
use std::sync::OnceLock;

/// sysmon polls when nobody has for this long (Go: 10 ms).
const SYSMON_POLL_NS: i64 = 10_000_000;
/// Events taken per `epoll_wait`.
const BATCH: usize = 128;

/// The process-wide poller.
#[derive(Debug)]
pub(crate) struct Netpoll {
    ep: Epoll,
    /// Descriptors free for reuse (they are never freed: `pd.rs`).
    free: RtMutex<Vec<&'static PollDesc>>,
    /// Goroutines between step 2 and their wake-up (Go's `netpollWaiters`): a hint that
    /// someone should poll. See `waiter_added` for its ordering.
    waiters: AtomicU32,
    /// nanotime of the last poll's end; 0 while an M blocks in `epoll_wait` (poll point 2,
    /// Go's `sched.lastpoll`). Swapped to 0 by the M that takes the blocking wait.
    last_poll: AtomicI64,
    /// The blocked poller's wake-up deadline, i64::MAX when it waits for I/O only (Go's
    /// `sched.pollUntil`). Written by that M only.
    poll_until: AtomicI64,
    /// A break is in flight (Go's `netpollWakeSig`): one eventfd write per blocking wait.
    break_pending: AtomicBool,
}

static NETPOLL: OnceLock<Netpoll> = OnceLock::new();
static INIT: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The poller, if some socket made it.
#[inline]
pub(crate) fn get() -> Option<&'static Netpoll> {
    NETPOLL.get()
}

/// The poller, made on first use (Go's `netpollGenericInit`).
pub(crate) fn init() -> io::Result<&'static Netpoll> {
    if let Some(np) = NETPOLL.get() {
        return Ok(np);
    }
    let _g = INIT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(np) = NETPOLL.get() {
        return Ok(np);
    }
    let np = Netpoll {
        ep: Epoll::new()?,
        free: RtMutex::new(Vec::new()),
        waiters: AtomicU32::new(0),
        last_poll: AtomicI64::new(nanotime()),
        poll_until: AtomicI64::new(i64::MAX),
        break_pending: AtomicBool::new(false),
    };
    Ok(NETPOLL.get_or_init(|| np))
}

impl Netpoll {
    /// Takes a descriptor for `fd` and registers `fd` (non-blocking) with epoll.
    pub(crate) fn open(&self, fd: RawFd) -> io::Result<&'static PollDesc> {
        let pd = self.free.lock().pop().unwrap_or_else(|| Box::leak(Box::new(PollDesc::new())));
        pd.reuse(fd);
        if let Err(e) = self.ep.register(fd, pd.tag()) {
            self.free.lock().push(pd);
            return Err(e);
        }
        Ok(pd)
    }

    /// Deregisters `fd` and returns its descriptor to the cache. The caller owns the socket
    /// exclusively (nobody waits on `pd`) and closes `fd` afterwards.
    pub(crate) fn close(&self, fd: RawFd, pd: &'static PollDesc) {
        pd.close();
        // An error means the fd was never registered or is already gone: nothing to undo.
        let _ = self.ep.deregister(fd);
        self.free.lock().push(pd);
    }

    /// A goroutine is about to park on a slot.
    pub(crate) fn waiter_added(&self) {
        // SeqCst + the fence: a store-buffering pair with poll point 2, which swaps
        // `last_poll` and then reads `waiters`. Either that M sees us, or our M — which runs
        // `find_runnable` right after our park — sees `last_poll` != 0 and polls itself.
        self.waiters.fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// A parked goroutine woke.
    pub(crate) fn waiter_removed(&self) {
        // Relaxed: a hint; an over-count costs one empty poll.
        self.waiters.fetch_sub(1, Ordering::Relaxed);
    }

    fn any_waiters(&self) -> bool {
        // Relaxed: a hint (see `waiter_added`).
        self.waiters.load(Ordering::Relaxed) > 0
    }

    /// One `epoll_wait` (`delay` ns: < 0 blocks, 0 polls) appending the goroutines it makes
    /// runnable to `out` (Go's `netpoll`). Their slots are already moved; the caller readies
    /// them.
    fn poll(&self, delay: i64, out: &mut Vec<&'static G>) {
        let ms = match delay {
            d if d < 0 => -1,
            0 => 0,
            // Round up: waking before a timer is due only costs another round.
            d => d.saturating_add(999_999).min(i32::MAX as i64 * 1_000_000) / 1_000_000,
        } as i32;
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; BATCH];
        let n = self.ep.wait(&mut evs, ms);
        for ev in &evs[..n] {
            // Copies out of the (packed) event.
            let (events, data) = (ev.events, ev.u64);
            if data == BREAK_TAG {
                if delay != 0 {
                    self.ep.drain_wake();
                    // Relaxed: the next breaker writes the eventfd again, which is all the
                    // flag guards against doing twice.
                    self.break_pending.store(false, Ordering::Relaxed);
                }
                continue;
            }
            let Some(pd) = PollDesc::from_tag(data) else { continue };
            if events & READ_EVENTS != 0 {
                out.extend(pd.ready_for(Mode::Read));
            }
            if events & WRITE_EVENTS != 0 {
                out.extend(pd.ready_for(Mode::Write));
            }
        }
    }

    /// Breaks a blocking `epoll_wait` (Go's `netpollBreak`).
    fn break_poll(&self) {
        // Relaxed: see `poll`; the eventfd write is the synchronising act.
        if self.break_pending.compare_exchange(false, true, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
            self.ep.wake();
        }
    }

    /// A timer at `when` was armed: break a blocked poller that would sleep past it.
    pub(crate) fn wake_for_timer(&self, when: i64) {
        // Relaxed: the caller's fence (step 1 of `sched/idle.rs`) orders the timer's heap entry
        // before these reads; a poller that starts blocking after them reads the heaps itself.
        if self.last_poll.load(Ordering::Relaxed) == 0 && self.poll_until.load(Ordering::Relaxed) > when {
            self.break_poll();
        }
    }

    /// Poll point 1: a non-blocking poll for an M holding a P with nothing to run. Returns one
    /// goroutine to run (Runnable) and queues the rest globally.
    /// With no P idle the rest go to `p`'s own queue (no lock; Go's `injectglist` with a P),
    /// else to the global queue for the idle Ps.
    pub(crate) fn poll_for_p(&self, s: &'static Sched, p: &'static crate::p::P) -> Option<&'static G> {
        // Relaxed: hints (Go reads both racily here too); poll point 2 or 3 catches a miss.
        if !self.any_waiters() || self.last_poll.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let mut list = Vec::new();
        self.poll(0, &mut list);
        let first = list.pop()?;
        // Relaxed: a hint; a P that goes idle meanwhile steals from our queue.
        if s.npidle.load(Ordering::Relaxed) == 0 {
            for g in &list {
                g.status.cas(crate::g::GStatus::Waiting, crate::g::GStatus::Runnable);
                crate::sched::schedule::runqput(s, p, g, false);
            }
        } else {
            crate::sched::park::ready_list_global(s, &list);
        }
        first.status.cas(crate::g::GStatus::Waiting, crate::g::GStatus::Runnable);
        Some(first)
    }

    /// Poll point 2: `m`, holding no P and about to sleep until `until` (a timer deadline, or
    /// i64::MAX), blocks in `epoll_wait` instead if goroutines wait on descriptors and no other
    /// M does. Returns None if it did not poll (the caller sleeps as before).
    pub(crate) fn block_in_poll(&self, m: &'static M, until: i64) -> Option<Blocked> {
        if !self.any_waiters() {
            return None;
        }
        // Relaxed load: the fast exit. SeqCst swap: the other half of `waiter_added`'s pair.
        if self.last_poll.load(Ordering::Relaxed) == 0 || self.last_poll.swap(0, Ordering::SeqCst) == 0 {
            return None;
        }
        // Relaxed: read by breakers as a hint; a breaker that reads the old value breaks us
        // spuriously, one that misses a lower one is covered by `wake_for_timer`'s fence.
        self.poll_until.store(until, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        let now = nanotime();
        let delay = if until == i64::MAX { -1 } else { (until - now).max(0) };
        let mut list = Vec::new();
        self.poll(delay, &mut list);
        // Relaxed: as the store above.
        self.poll_until.store(i64::MAX, Ordering::Relaxed);
        // SeqCst: with our later read of `waiters` (next `find_runnable` pass) the other
        // store-buffering pair of `waiter_added`: an M that read 0 here before this store and
        // skipped polling left a waiter count that we see. sysmon's poll (point 3) bounds any
        // delay to 10-20 ms regardless.
        self.last_poll.store(nanotime(), Ordering::SeqCst);
        crate::debug::trace::ev("netpoll.block", list.len() as u64, m.id);
        Some(Blocked { list })
    }

    /// Poll point 3: sysmon's poll when nobody has polled for 10 ms. Returns whether it
    /// readied anything.
    pub(crate) fn sysmon_poll(&self, s: &'static Sched, now: i64) -> bool {
        // Relaxed: a hint; the CAS decides who polls.
        let lp = self.last_poll.load(Ordering::Relaxed);
        if lp == 0 || now - lp < SYSMON_POLL_NS || !self.any_waiters() {
            return false;
        }
        // Relaxed: only arbitrates among pollers; nothing is published through it.
        if self.last_poll.compare_exchange(lp, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return false;
        }
        self.poll_and_inject(s)
    }

    /// Poll point 4 (and sysmon's): a non-blocking poll whose goroutines go to the global run
    /// queue. Returns whether it found any.
    pub(crate) fn poll_and_inject(&self, s: &'static Sched) -> bool {
        if !self.any_waiters() {
            return false;
        }
        let mut list = Vec::new();
        self.poll(0, &mut list);
        crate::sched::park::ready_list_global(s, &list);
        !list.is_empty()
    }
}

/// What a blocking poll (poll point 2) found: goroutines still Waiting, for the caller to
/// run or queue once it knows whether it got a P.
#[derive(Debug)]
pub(crate) struct Blocked {
    pub(crate) list: Vec<&'static G>,
}
