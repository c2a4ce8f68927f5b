//! `NetFd`: a non-blocking socket registered with the network poller, and the one I/O loop
//! every socket type uses (Go's `internal/poll.FD`). Only the descriptor and its waiting live
//! here; the socket types' APIs are in `tcp.rs`, `udp.rs` and `unix.rs`.
//!
//! The loop: try the system call; on `EAGAIN`, wait for readiness and try again. How it waits
//! depends on the caller:
//! - **a goroutine** (running, with a P, no no-preempt section, not the stop-the-world owner)
//!   parks on the descriptor's slot for that direction (`netpoll/pd.rs`) and its thread runs
//!   other goroutines. One goroutine per direction waits at a time: the others queue on the
//!   direction's `gsync::Mutex` (Go's `fdMutex`), parked too.
//! - **any other thread** (a plain thread, a goroutine inside `blocking(..)`) blocks in
//!   `poll(2)`, in slices of at most 50 ms so that `close` from elsewhere is seen.
//!
//! Deadlines (`set_*_deadline`, Go's `SetDeadline`) and per-call timeouts (`set_*_timeout`, std's)
//! end a wait with `ErrorKind::TimedOut`; `close` ends every wait with `NotConnected` ("use of
//! closed network connection") and every later call fails the same way.

use crate::g::GStatus;
use crate::gsync::Mutex;
use crate::netpoll::{Mode, PollDesc, PollError};
use crate::sched::sched;
use crate::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use crate::time::nanotime;
use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Whether the caller can park: a goroutine that is running with a P, outside no-preempt
/// sections and not holding the world stopped.
pub(crate) fn can_park() -> bool {
    let Some((m, g)) = crate::sched::park::current() else { return false };
    m.p().is_some()
        && g.status.load().status() == Some(GStatus::Running)
        && !crate::preempt::preempt_disabled(m)
        // Relaxed: only this M ever stores itself there.
        && !std::ptr::eq(sched().stw_owner.load(Ordering::Relaxed), m)
}

/// The error of an operation on a closed socket (Go's `ErrNetClosing`).
pub(crate) fn closed_error() -> io::Error {
    io::Error::new(io::ErrorKind::NotConnected, "use of closed network connection")
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "i/o timeout")
}

/// One direction's user settings.
#[derive(Debug)]
struct Dir {
    /// Serialises waiters (one per poll slot).
    lock: Mutex<()>,
    /// The absolute deadline (nanotime; 0: none). Written by `set_deadline`.
    deadline: AtomicI64,
    /// The per-call timeout in ns (0: none).
    timeout: AtomicU64,
}

/// A registered non-blocking socket.
#[derive(Debug)]
pub(crate) struct NetFd {
    fd: RawFd,
    pd: &'static PollDesc,
    read: Dir,
    write: Dir,
}

impl NetFd {
    /// Takes ownership of `fd` (non-blocking) and registers it with the poller. Closes `fd`
    /// on failure.
    pub(crate) fn new(fd: RawFd) -> io::Result<NetFd> {
        let pd = match crate::netpoll::init().and_then(|np| np.open(fd)) {
            Ok(pd) => pd,
            Err(e) => {
                super::sys::close(fd);
                return Err(e);
            }
        };
        let dir = || Dir { lock: Mutex::new(()), deadline: AtomicI64::new(0), timeout: AtomicU64::new(0) };
        Ok(NetFd { fd, pd, read: dir(), write: dir() })
    }

    pub(crate) fn raw(&self) -> RawFd {
        self.fd
    }

    fn dir(&self, mode: Mode) -> &Dir {
        match mode {
            Mode::Read => &self.read,
            Mode::Write => &self.write,
        }
    }

    /// Runs `op` until it does not return `WouldBlock`, waiting for `mode` readiness between
    /// tries (module docs). `timeout` overrides the direction's per-call timeout.
    pub(crate) fn io<R>(&self, mode: Mode, timeout: Option<Duration>, mut op: impl FnMut() -> io::Result<R>) -> io::Result<R> {
        let d = self.dir(mode);
        // Relaxed: settings; a call racing with a setter sees the old or the new one.
        let timeout = timeout.map_or(d.timeout.load(Ordering::Relaxed), |t| t.as_nanos().min(i64::MAX as u128) as u64);
        let parking = can_park();
        let _turn = parking.then(|| d.lock.lock());
        let start = nanotime();
        // The deadline this call waits under: the user's, or start + timeout if earlier.
        let effective = || {
            // Relaxed: see above.
            let user = d.deadline.load(Ordering::Relaxed);
            let per_call = if timeout == 0 { 0 } else { start.saturating_add(timeout as i64) };
            match (user, per_call) {
                (0, p) => p,
                (u, 0) => u,
                (u, p) => u.min(p),
            }
        };
        let mut armed = false;
        let r = loop {
            if self.pd.is_closing() {
                break Err(closed_error());
            }
            // The call never blocks (the descriptor is non-blocking): on a goroutine it runs
            // as a no-preempt section, so a stop or a time slice waits the microseconds it
            // takes instead of the signal diverting it into a rescued `blocking` call
            // (decision 47), which pins the thread until a P comes back — under seed 000's
            // load that parked dozens of Ms in `pwait` and starved the collector's goroutine.
            let r = if parking {
                let _np = crate::preempt::NoPreempt::new();
                op()
            } else {
                op()
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                r => break r,
            }
            if parking {
                if !armed && timeout != 0 {
                    self.pd.set_deadline(mode, effective());
                    armed = true;
                }
                match self.pd.wait(mode) {
                    Ok(()) => continue,
                    Err(PollError::Closing) => break Err(closed_error()),
                    Err(PollError::TimedOut) => break Err(timed_out()),
                }
            } else if let Err(e) = self.poll_thread(mode, effective()) {
                break Err(e);
            }
        };
        if armed {
            // Back to the user's deadline (Relaxed: as above).
            self.pd.set_deadline(mode, d.deadline.load(Ordering::Relaxed));
        }
        r
    }

    /// A plain thread's wait: `poll(2)` until readiness, the deadline, or 50 ms (to see a
    /// `close` from elsewhere).
    fn poll_thread(&self, mode: Mode, deadline: i64) -> io::Result<()> {
        let ms = if deadline == 0 {
            50
        } else {
            let left = deadline - nanotime();
            if left <= 0 {
                return Err(timed_out());
            }
            ((left + 999_999) / 1_000_000).min(50) as i32
        };
        let events = match mode {
            Mode::Read => libc::POLLIN,
            Mode::Write => libc::POLLOUT,
        };
        let mut p = libc::pollfd { fd: self.fd, events, revents: 0 };
        // SAFETY: one live pollfd for the call.
        let r = unsafe { libc::poll(&mut p, 1, ms) };
        if r < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::Interrupted {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Sets the absolute deadline for `mode` (None: no deadline). A deadline in the past
    /// makes waits and calls that would wait fail with `TimedOut` at once (Go's semantics).
    pub(crate) fn set_deadline(&self, mode: Mode, at: Option<Instant>) {
        let when = match at {
            None => 0,
            Some(at) => {
                let now = Instant::now();
                let t = nanotime();
                if at <= now {
                    // In the past: any positive value <= now (0 means "none").
                    t.max(1)
                } else {
                    t.saturating_add(at.duration_since(now).as_nanos().min(i64::MAX as u128) as i64)
                }
            }
        };
        // Relaxed: see `io`.
        self.dir(mode).deadline.store(when, Ordering::Relaxed);
        self.pd.set_deadline(mode, when);
    }

    /// Sets the per-call timeout for `mode`. Zero is refused, as std does.
    pub(crate) fn set_timeout(&self, mode: Mode, t: Option<Duration>) -> io::Result<()> {
        let ns = match t {
            Some(d) if d.is_zero() => {
                return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
            }
            Some(d) => d.as_nanos().clamp(1, i64::MAX as u128) as u64,
            None => 0,
        };
        // Relaxed: see `io`.
        self.dir(mode).timeout.store(ns, Ordering::Relaxed);
        Ok(())
    }

    pub(crate) fn timeout(&self, mode: Mode) -> Option<Duration> {
        // Relaxed: see `io`.
        let ns = self.dir(mode).timeout.load(Ordering::Relaxed);
        (ns != 0).then(|| Duration::from_nanos(ns))
    }

    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.io(Mode::Read, None, || {
            // SAFETY: `buf` is writable for `buf.len()` bytes.
            super::sys::cvt_len(unsafe { libc::recv(self.fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0) })
        })
    }

    pub(crate) fn write(&self, buf: &[u8]) -> io::Result<usize> {
        self.io(Mode::Write, None, || {
            // SAFETY: `buf` is readable for `buf.len()` bytes. MSG_NOSIGNAL: EPIPE, not SIGPIPE.
            super::sys::cvt_len(unsafe { libc::send(self.fd, buf.as_ptr() as *const libc::c_void, buf.len(), libc::MSG_NOSIGNAL) })
        })
    }

    /// Accepts a connection: the new socket (registered) and the peer's raw address.
    pub(crate) fn accept(&self) -> io::Result<(NetFd, super::sys::RawAddr)> {
        let (fd, addr) = self.io(Mode::Read, None, || {
            let mut a = super::sys::RawAddr::empty();
            // SAFETY: `a` is a writable sockaddr_storage with its length in `a.len`.
            let fd = super::sys::cvt(unsafe { libc::accept4(self.fd, a.mut_ptr(), &mut a.len, libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) })?;
            Ok((fd, a))
        })?;
        Ok((NetFd::new(fd)?, addr))
    }

    /// Connects to `a`, waiting for completion like a write (Go's `fd.connect`).
    pub(crate) fn connect(&self, a: &super::sys::RawAddr, timeout: Option<Duration>) -> io::Result<()> {
        // SAFETY: `a` holds a valid address of `a.len` bytes.
        match super::sys::cvt(unsafe { libc::connect(self.fd, a.ptr(), a.len) }) {
            Ok(_) => return Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINPROGRESS) | Some(libc::EINTR) | Some(libc::EALREADY)) => {}
            Err(e) => return Err(e),
        }
        self.io(Mode::Write, timeout, || {
            match super::sys::get_int_opt(self.fd, libc::SOL_SOCKET, libc::SO_ERROR)? {
                0 => {}
                libc::EINPROGRESS | libc::EALREADY | libc::EINTR => return Err(io::ErrorKind::WouldBlock.into()),
                libc::EISCONN => return Ok(()),
                e => return Err(io::Error::from_raw_os_error(e)),
            }
            let mut a = super::sys::RawAddr::empty();
            // SAFETY: `a` is a writable sockaddr_storage with its length in `a.len`.
            match super::sys::cvt(unsafe { libc::getpeername(self.fd, a.mut_ptr(), &mut a.len) }) {
                Ok(_) => Ok(()),
                Err(e) if e.raw_os_error() == Some(libc::ENOTCONN) => Err(io::ErrorKind::WouldBlock.into()),
                Err(e) => Err(e),
            }
        })
    }

    /// Closes the socket for everyone sharing it: wakes every waiter (they fail with
    /// `NotConnected`), shuts the connection down so the peer and threads in `poll(2)` see it,
    /// and makes every later call fail. The descriptor itself is released on drop.
    pub(crate) fn close(&self) {
        self.pd.close();
        // SAFETY: plain system call on our descriptor; errors (a listener, an unconnected
        // socket) do not matter.
        unsafe { libc::shutdown(self.fd, libc::SHUT_RDWR) };
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.pd.is_closing()
    }

    /// A new descriptor for the same socket (`dup`), registered on its own.
    pub(crate) fn try_clone(&self) -> io::Result<NetFd> {
        // SAFETY: plain system call on our descriptor.
        let fd = super::sys::cvt(unsafe { libc::fcntl(self.fd, libc::F_DUPFD_CLOEXEC, 0) })?;
        NetFd::new(fd)
    }
}

impl Drop for NetFd {
    fn drop(&mut self) {
        if let Some(np) = crate::netpoll::get() {
            np.close(self.fd, self.pd);
        }
        super::sys::close(self.fd);
    }
}
