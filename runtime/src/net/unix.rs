//! `UnixListener` and `UnixStream`: stream sockets on paths, over the same `NetFd` as TCP.

use super::fd::NetFd;
use super::sys::{self, RawAddr};
use crate::netpoll::Mode;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

fn std_stream(fd: &NetFd) -> ManuallyDrop<std::os::unix::net::UnixStream> {
    // SAFETY: the descriptor is an open Unix stream socket owned by `fd`, which outlives the
    // view; ManuallyDrop keeps std from closing it.
    ManuallyDrop::new(unsafe { std::os::unix::net::UnixStream::from_raw_fd(fd.raw()) })
}

/// A Unix-domain socket listening on a path. `accept` parks the goroutine.
#[derive(Debug)]
pub struct UnixListener {
    fd: NetFd,
}

impl UnixListener {
    /// Binds to `path` (which must not exist) and listens.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let a = RawAddr::from_path(path.as_ref())?;
        let fd = NetFd::new(sys::socket(libc::AF_UNIX, libc::SOCK_STREAM)?)?;
        sys::bind_listen(fd.raw(), &a)?;
        Ok(UnixListener { fd })
    }

    /// Accepts a connection.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        let (fd, _) = self.fd.accept()?;
        let s = UnixStream { fd };
        let peer = std_stream(&s.fd).peer_addr()?;
        Ok((s, peer))
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let l = ManuallyDrop::new(
            // SAFETY: as `std_stream`, for the listening socket.
            unsafe { std::os::unix::net::UnixListener::from_raw_fd(self.fd.raw()) },
        );
        l.local_addr()
    }

    /// The deadline for `accept`; None removes it.
    pub fn set_accept_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Read, at);
    }

    /// Closes the listener for everyone sharing it (waiting `accept`s fail with
    /// `NotConnected`).
    pub fn close(&self) {
        self.fd.close();
    }
}

impl AsRawFd for UnixListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

/// A Unix-domain stream connection; reads and writes park the goroutine.
#[derive(Debug)]
pub struct UnixStream {
    fd: NetFd,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let a = RawAddr::from_path(path.as_ref())?;
        let fd = NetFd::new(sys::socket(libc::AF_UNIX, libc::SOCK_STREAM)?)?;
        fd.connect(&a, None)?;
        Ok(UnixStream { fd })
    }

    /// A connected pair (`socketpair`).
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` has room for the two descriptors.
        sys::cvt(unsafe {
            libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr())
        })?;
        let a = NetFd::new(fds[0]);
        let b = NetFd::new(fds[1]);
        Ok((UnixStream { fd: a? }, UnixStream { fd: b? }))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        std_stream(&self.fd).local_addr()
    }

    /// The peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        std_stream(&self.fd).peer_addr()
    }

    /// Shuts down one or both halves.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if self.fd.is_closed() {
            return Err(super::fd::closed_error());
        }
        std_stream(&self.fd).shutdown(how)
    }

    /// A timeout for each read; None removes it.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Read, t)
    }

    /// A timeout for each write; None removes it.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Write, t)
    }

    /// Absolute read and write deadlines (Go's `SetDeadline`).
    pub fn set_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Read, at);
        self.fd.set_deadline(Mode::Write, at);
    }

    /// Closes the connection for everyone sharing it.
    pub fn close(&self) {
        self.fd.close();
    }

    /// A second handle on the same connection (`dup`).
    pub fn try_clone(&self) -> io::Result<UnixStream> {
        Ok(UnixStream { fd: self.fd.try_clone()? })
    }
}

impl AsRawFd for UnixStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl Read for &UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }
}

impl Write for &UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for UnixStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }
}

impl Write for UnixStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
