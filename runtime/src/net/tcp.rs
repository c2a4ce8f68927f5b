//! `TcpListener` and `TcpStream`: std's API over `NetFd` (waits park the goroutine).

use super::fd::NetFd;
use super::sys::{self, RawAddr};
use crate::netpoll::Mode;
use std::io::{self, IoSlice, Read, Write};
use std::mem::ManuallyDrop;
use std::net::{Shutdown, SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::time::{Duration, Instant};

/// std's view of our descriptor, for the calls std already does right (addresses, options).
/// Never closes it.
fn std_stream(fd: &NetFd) -> ManuallyDrop<std::net::TcpStream> {
    // SAFETY: the descriptor is an open TCP socket owned by `fd`, which outlives the view;
    // ManuallyDrop keeps std from closing it.
    ManuallyDrop::new(unsafe { std::net::TcpStream::from_raw_fd(fd.raw()) })
}

/// A TCP socket listening for connections. `accept` parks the calling goroutine until a
/// connection arrives (a plain thread blocks instead).
///
/// ```
/// use std::io::{Read, Write};
/// use tricolor_runtime::net::{TcpListener, TcpStream};
/// tricolor_runtime::block_on(|| {
///     let l = TcpListener::bind("127.0.0.1:0").unwrap();
///     let addr = l.local_addr().unwrap();
///     let h = tricolor_runtime::go(move || {
///         let (mut c, _) = l.accept().unwrap();
///         let mut b = [0u8; 5];
///         c.read_exact(&mut b).unwrap();
///         c.write_all(&b).unwrap();
///     });
///     let mut s = TcpStream::connect(addr).unwrap();
///     s.write_all(b"hello").unwrap();
///     let mut b = [0u8; 5];
///     s.read_exact(&mut b).unwrap();
///     assert_eq!(&b, b"hello");
///     h.join().unwrap();
/// });
/// ```
#[derive(Debug)]
pub struct TcpListener {
    fd: NetFd,
}

impl TcpListener {
    /// Binds to the first address of `addr` that works, with `SO_REUSEADDR` (as std), and
    /// listens. A used port is `ErrorKind::AddrInUse`.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<TcpListener> {
        sys::each_addr(addr, |a| {
            let fd = NetFd::new(sys::socket(sys::family(a), libc::SOCK_STREAM)?)?;
            sys::set_int_opt(fd.raw(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
            sys::bind_listen(fd.raw(), &RawAddr::from_inet(a))?;
            Ok(TcpListener { fd })
        })
    }

    /// Accepts a connection.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let (fd, a) = self.fd.accept()?;
        Ok((TcpStream { fd }, a.to_inet()?))
    }

    /// An endless iterator of `accept`s.
    pub fn incoming(&self) -> Incoming<'_> {
        Incoming { l: self }
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        let l = ManuallyDrop::new(
            // SAFETY: as `std_stream`, for the listening socket.
            unsafe { std::net::TcpListener::from_raw_fd(self.fd.raw()) },
        );
        l.local_addr()
    }

    /// The deadline for `accept` (Go's `SetDeadline` on a listener); None removes it.
    pub fn set_accept_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Read, at);
    }

    /// A timeout for each `accept` call; None removes it.
    pub fn set_accept_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Read, t)
    }

    /// Closes the listener for every goroutine sharing it: waiting `accept`s return
    /// `ErrorKind::NotConnected`, as every later call does. The descriptor is released on drop.
    pub fn close(&self) {
        self.fd.close();
    }

    /// A second handle on the same socket (`dup`).
    pub fn try_clone(&self) -> io::Result<TcpListener> {
        Ok(TcpListener { fd: self.fd.try_clone()? })
    }
}

impl AsRawFd for TcpListener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

/// `TcpListener::incoming`.
#[derive(Debug)]
pub struct Incoming<'a> {
    l: &'a TcpListener,
}

impl Iterator for Incoming<'_> {
    type Item = io::Result<TcpStream>;
    fn next(&mut self) -> Option<io::Result<TcpStream>> {
        Some(self.l.accept().map(|(s, _)| s))
    }
}

/// A TCP connection. Reads and writes park the calling goroutine until the socket is ready;
/// several goroutines may use one stream (`&TcpStream` is `Read` and `Write`): those in the
/// same direction take turns.
#[derive(Debug)]
pub struct TcpStream {
    fd: NetFd,
}

impl TcpStream {
    /// Connects to the first address of `addr` that accepts. Nobody listening is
    /// `ErrorKind::ConnectionRefused`.
    pub fn connect<A: ToSocketAddrs>(addr: A) -> io::Result<TcpStream> {
        sys::each_addr(addr, |a| Self::connect_one(a, None))
    }

    /// Connects to `addr`, failing with `ErrorKind::TimedOut` after `timeout`.
    pub fn connect_timeout(addr: &SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
        if timeout.is_zero() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "cannot set a 0 duration timeout"));
        }
        Self::connect_one(addr, Some(timeout))
    }

    fn connect_one(a: &SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
        let fd = NetFd::new(sys::socket(sys::family(a), libc::SOCK_STREAM)?)?;
        fd.connect(&RawAddr::from_inet(a), timeout)?;
        Ok(TcpStream { fd })
    }

    /// The remote address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        std_stream(&self.fd).peer_addr()
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        std_stream(&self.fd).local_addr()
    }

    /// Shuts down one or both halves (wakes the peer's readers with end of file).
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if self.fd.is_closed() {
            return Err(super::fd::closed_error());
        }
        std_stream(&self.fd).shutdown(how)
    }

    /// Sets `TCP_NODELAY`.
    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        std_stream(&self.fd).set_nodelay(on)
    }

    /// Reads `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        std_stream(&self.fd).nodelay()
    }

    /// A timeout for each read (std's `set_read_timeout`): a read that waits longer fails
    /// with `ErrorKind::TimedOut`. `Some(0)` is refused, None removes it.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Read, t)
    }

    /// A timeout for each write; as `set_read_timeout`.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Write, t)
    }

    /// The read timeout.
    pub fn read_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.timeout(Mode::Read))
    }

    /// The write timeout.
    pub fn write_timeout(&self) -> io::Result<Option<Duration>> {
        Ok(self.fd.timeout(Mode::Write))
    }

    /// An absolute deadline for reads (Go's `SetReadDeadline`): reads waiting at that instant,
    /// including one already parked, fail with `ErrorKind::TimedOut`. None removes it.
    pub fn set_read_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Read, at);
    }

    /// An absolute deadline for writes; as `set_read_deadline`.
    pub fn set_write_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Write, at);
    }

    /// Both deadlines (Go's `SetDeadline`).
    pub fn set_deadline(&self, at: Option<Instant>) {
        self.set_read_deadline(at);
        self.set_write_deadline(at);
    }

    /// Closes the connection for every goroutine sharing it (Go's `Close`): waiting reads and
    /// writes return `ErrorKind::NotConnected`, as every later call does; the peer sees end
    /// of file. The descriptor is released on drop.
    pub fn close(&self) {
        self.fd.close();
    }

    /// A second handle on the same connection (`dup`), with its own deadlines and timeouts.
    pub fn try_clone(&self) -> io::Result<TcpStream> {
        Ok(TcpStream { fd: self.fd.try_clone()? })
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}

impl Read for &TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }
}

impl Write for &TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let b = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| &**b);
        self.fd.write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for TcpStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }
}

impl Write for TcpStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
