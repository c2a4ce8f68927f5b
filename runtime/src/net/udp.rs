//! `UdpSocket`: datagrams over `NetFd`; receives park the goroutine.

use super::fd::NetFd;
use super::sys::{self, RawAddr};
use crate::netpoll::Mode;
use std::io;
use std::mem::ManuallyDrop;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::time::{Duration, Instant};

fn std_socket(fd: &NetFd) -> ManuallyDrop<std::net::UdpSocket> {
    // SAFETY: the descriptor is an open UDP socket owned by `fd`, which outlives the view;
    // ManuallyDrop keeps std from closing it.
    ManuallyDrop::new(unsafe { std::net::UdpSocket::from_raw_fd(fd.raw()) })
}

/// A UDP socket.
#[derive(Debug)]
pub struct UdpSocket {
    fd: NetFd,
}

impl UdpSocket {
    /// Binds to the first address of `addr` that works.
    pub fn bind<A: ToSocketAddrs>(addr: A) -> io::Result<UdpSocket> {
        sys::each_addr(addr, |a| {
            let fd = NetFd::new(sys::socket(sys::family(a), libc::SOCK_DGRAM)?)?;
            sys::bind(fd.raw(), &RawAddr::from_inet(a))?;
            Ok(UdpSocket { fd })
        })
    }

    /// Sets the default peer for `send` and `recv` and filters others out.
    pub fn connect<A: ToSocketAddrs>(&self, addr: A) -> io::Result<()> {
        sys::each_addr(addr, |a| {
            let ra = RawAddr::from_inet(a);
            // SAFETY: `ra` holds a valid address of `ra.len` bytes; UDP connect never blocks.
            sys::cvt(unsafe { libc::connect(self.fd.raw(), ra.ptr(), ra.len) }).map(drop)
        })
    }

    /// Sends a datagram to `addr`.
    pub fn send_to<A: ToSocketAddrs>(&self, buf: &[u8], addr: A) -> io::Result<usize> {
        let a = sys::resolve(addr)?[0];
        let ra = RawAddr::from_inet(&a);
        self.fd.io(Mode::Write, None, || {
            // SAFETY: `buf` is readable for its length; `ra` holds a valid address.
            sys::cvt_len(unsafe {
                libc::sendto(self.fd.raw(), buf.as_ptr() as *const libc::c_void, buf.len(), libc::MSG_NOSIGNAL, ra.ptr(), ra.len)
            })
        })
    }

    /// Receives a datagram and its sender's address.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, a) = self.fd.io(Mode::Read, None, || {
            let mut a = RawAddr::empty();
            // SAFETY: `buf` is writable for its length; `a` is a writable sockaddr_storage.
            let n = sys::cvt_len(unsafe {
                libc::recvfrom(self.fd.raw(), buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0, a.mut_ptr(), &mut a.len)
            })?;
            Ok((n, a))
        })?;
        Ok((n, a.to_inet()?))
    }

    /// Sends to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.fd.write(buf)
    }

    /// Receives from the connected peer.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.fd.read(buf)
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        std_socket(&self.fd).local_addr()
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        std_socket(&self.fd).peer_addr()
    }

    /// A timeout for each receive; None removes it.
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Read, t)
    }

    /// A timeout for each send; None removes it.
    pub fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        self.fd.set_timeout(Mode::Write, t)
    }

    /// An absolute deadline for receives (Go's `SetReadDeadline`).
    pub fn set_read_deadline(&self, at: Option<Instant>) {
        self.fd.set_deadline(Mode::Read, at);
    }

    /// Closes the socket for everyone sharing it (waiting receives fail with `NotConnected`).
    pub fn close(&self) {
        self.fd.close();
    }

    /// A second handle on the same socket (`dup`).
    pub fn try_clone(&self) -> io::Result<UdpSocket> {
        Ok(UdpSocket { fd: self.fd.try_clone()? })
    }
}

impl AsRawFd for UdpSocket {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.raw()
    }
}
