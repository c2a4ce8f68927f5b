//! The epoll instance and its eventfd: the only callers of `epoll_*` and the eventfd in the
//! runtime (STYLE 16). Safe wrappers; the poll descriptors and the scheduler integration live
//! in `pd.rs` and `mod.rs`.

use std::io;
use std::os::fd::RawFd;

/// Events a descriptor is registered for, once, edge-triggered (Go's `netpollopen`).
const REGISTER: u32 = (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32;

/// Event bits that make a reader runnable, and a writer.
pub(crate) const READ_EVENTS: u32 = (libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLHUP | libc::EPOLLERR) as u32;
pub(crate) const WRITE_EVENTS: u32 = (libc::EPOLLOUT | libc::EPOLLHUP | libc::EPOLLERR) as u32;

/// The user data of the eventfd's registration (descriptors use tagged pointers, never 0).
pub(crate) const BREAK_TAG: u64 = 0;

/// An epoll instance plus an eventfd registered on it (level-triggered) to break a blocking
/// wait (Go's `netpollBreak`).
#[derive(Debug)]
pub(crate) struct Epoll {
    ep: RawFd,
    ev: RawFd,
}

impl Epoll {
    pub(crate) fn new() -> io::Result<Epoll> {
        // SAFETY: plain system call with a flag argument.
        let ep = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if ep < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: plain system call with flag arguments.
        let ev = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if ev < 0 {
            return Err(io::Error::last_os_error());
        }
        let e = Epoll { ep, ev };
        e.ctl(libc::EPOLL_CTL_ADD, ev, libc::EPOLLIN as u32, BREAK_TAG)?;
        Ok(e)
    }

    fn ctl(&self, op: libc::c_int, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: data };
        // SAFETY: `ev` is a valid epoll_event we own for the call; the kernel copies it.
        if unsafe { libc::epoll_ctl(self.ep, op, fd, &mut ev) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Registers `fd` (non-blocking) edge-triggered for reads and writes, tagged `data`.
    pub(crate) fn register(&self, fd: RawFd, data: u64) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, REGISTER, data)
    }

    /// Removes `fd` (before it is closed, so no event for it is reported after its descriptor
    /// is reused; events already returned are filtered by the tag's sequence number).
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, 0)
    }

    /// `epoll_wait` into `out`; `timeout_ms` < 0 blocks, 0 polls. EINTR returns 0 events.
    pub(crate) fn wait(&self, out: &mut [libc::epoll_event], timeout_ms: i32) -> usize {
        // SAFETY: `out` is a writable buffer of `out.len()` events.
        let n = unsafe { libc::epoll_wait(self.ep, out.as_mut_ptr(), out.len() as i32, timeout_ms) };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                crate::throw!("netpoll: epoll_wait failed: {e}");
            }
            return 0;
        }
        n as usize
    }

    /// Makes the eventfd readable: a blocked `wait` returns.
    pub(crate) fn wake(&self) {
        let one: u64 = 1;
        // SAFETY: writes 8 bytes from a live u64 to our eventfd. EAGAIN (counter saturated)
        // means it is readable already, which is all we want.
        unsafe { libc::write(self.ev, &one as *const u64 as *const libc::c_void, 8) };
    }

    /// Drains the eventfd after a wake-up was seen.
    pub(crate) fn drain_wake(&self) {
        let mut v: u64 = 0;
        // SAFETY: reads 8 bytes into a live u64 from our non-blocking eventfd; EAGAIN (already
        // drained by another poller) is fine.
        unsafe { libc::read(self.ev, &mut v as *mut u64 as *mut libc::c_void, 8) };
    }
}
