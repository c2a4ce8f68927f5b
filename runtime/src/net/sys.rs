//! The socket system calls and address conversions the `net` types share: the only place in
//! `net/` that calls libc directly, apart from the per-fd I/O calls in `fd.rs`.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, ToSocketAddrs};
use std::os::fd::RawFd;
use std::path::Path;

/// A `-1`-on-error return value as an `io::Result`.
pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A `-1`-on-error `ssize_t` as an `io::Result<usize>`.
pub(crate) fn cvt_len(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

/// A new non-blocking, close-on-exec socket.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int) -> io::Result<RawFd> {
    // SAFETY: plain system call with integer arguments.
    cvt(unsafe { libc::socket(domain, ty | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC, 0) })
}

/// Closes `fd`, which the caller owns and stops using.
pub(crate) fn close(fd: RawFd) {
    // SAFETY: the caller owns `fd`; errors (EINTR) leave it closed on Linux.
    unsafe { libc::close(fd) };
}

pub(crate) fn set_int_opt(fd: RawFd, level: libc::c_int, name: libc::c_int, v: libc::c_int) -> io::Result<()> {
    // SAFETY: passes a pointer to a live c_int and its size.
    cvt(unsafe {
        libc::setsockopt(fd, level, name, &v as *const libc::c_int as *const libc::c_void, size_of::<libc::c_int>() as libc::socklen_t)
    })?;
    Ok(())
}

pub(crate) fn get_int_opt(fd: RawFd, level: libc::c_int, name: libc::c_int) -> io::Result<libc::c_int> {
    let mut v: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: passes a pointer to a live c_int and its size, which the kernel may shrink.
    cvt(unsafe { libc::getsockopt(fd, level, name, &mut v as *mut libc::c_int as *mut libc::c_void, &mut len) })?;
    Ok(v)
}

/// A socket address in the kernel's form.
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl RawAddr {
    pub(crate) fn empty() -> RawAddr {
        // SAFETY: sockaddr_storage is plain data; all-zero is a valid (AF_UNSPEC) value.
        RawAddr { storage: unsafe { zeroed() }, len: size_of::<libc::sockaddr_storage>() as libc::socklen_t }
    }

    pub(crate) fn ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const libc::sockaddr_storage as *const libc::sockaddr
    }

    pub(crate) fn mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut libc::sockaddr_storage as *mut libc::sockaddr
    }

    pub(crate) fn from_inet(a: &SocketAddr) -> RawAddr {
        let mut r = RawAddr::empty();
        match a {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_storage is large enough and suitably aligned for sockaddr_in.
                let sin = unsafe { &mut *(r.mut_ptr() as *mut libc::sockaddr_in) };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(a.ip().octets()) };
                r.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                // SAFETY: sockaddr_storage is large enough and suitably aligned for sockaddr_in6.
                let sin6 = unsafe { &mut *(r.mut_ptr() as *mut libc::sockaddr_in6) };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_addr = libc::in6_addr { s6_addr: a.ip().octets() };
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_scope_id = a.scope_id();
                r.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        r
    }

    pub(crate) fn from_path(p: &Path) -> io::Result<RawAddr> {
        use std::os::unix::ffi::OsStrExt;
        let bytes = p.as_os_str().as_bytes();
        let mut r = RawAddr::empty();
        // SAFETY: sockaddr_storage is large enough and suitably aligned for sockaddr_un.
        let sun = unsafe { &mut *(r.mut_ptr() as *mut libc::sockaddr_un) };
        if bytes.len() >= sun.sun_path.len() {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "path must be shorter than SUN_LEN"));
        }
        if bytes.contains(&0) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "paths must not contain interior null bytes"));
        }
        sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, s) in sun.sun_path.iter_mut().zip(bytes) {
            *d = *s as libc::c_char;
        }
        r.len = (size_of::<libc::sa_family_t>() + bytes.len() + 1) as libc::socklen_t;
        Ok(r)
    }

    pub(crate) fn to_inet(&self) -> io::Result<SocketAddr> {
        match self.storage.ss_family as libc::c_int {
            libc::AF_INET => {
                // SAFETY: the kernel wrote a sockaddr_in (family AF_INET) into the storage.
                let sin = unsafe { &*(self.ptr() as *const libc::sockaddr_in) };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Ok(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(sin.sin_port))))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote a sockaddr_in6 (family AF_INET6) into the storage.
                let sin6 = unsafe { &*(self.ptr() as *const libc::sockaddr_in6) };
                let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
                Ok(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(sin6.sin6_port), sin6.sin6_flowinfo, sin6.sin6_scope_id)))
            }
            f => Err(io::Error::new(io::ErrorKind::InvalidInput, format!("unexpected address family {f}"))),
        }
    }
}

/// Resolves `addr`; a name lookup (getaddrinfo) blocks, so on a goroutine it runs inside
/// `blocking(..)` and the P does other work meanwhile.
pub(crate) fn resolve<A: ToSocketAddrs>(addr: A) -> io::Result<Vec<SocketAddr>> {
    let look = || addr.to_socket_addrs().map(|i| i.collect::<Vec<_>>());
    let v = if super::fd::can_park() { crate::blocking(look)? } else { look()? };
    if v.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses"));
    }
    Ok(v)
}

/// Tries `f` on each address, returning the first success or the last error.
pub(crate) fn each_addr<A: ToSocketAddrs, T>(addr: A, mut f: impl FnMut(&SocketAddr) -> io::Result<T>) -> io::Result<T> {
    let mut last = None;
    for a in resolve(addr)? {
        match f(&a) {
            Ok(t) => return Ok(t),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses")))
}

pub(crate) fn family(a: &SocketAddr) -> libc::c_int {
    match a {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

/// `bind` + `listen` for a stream socket.
pub(crate) fn bind_listen(fd: RawFd, a: &RawAddr) -> io::Result<()> {
    // SAFETY: `a` holds a valid address of `a.len` bytes.
    cvt(unsafe { libc::bind(fd, a.ptr(), a.len) })?;
    // SAFETY: plain system call on our socket.
    cvt(unsafe { libc::listen(fd, libc::SOMAXCONN) })?;
    Ok(())
}

/// `bind` only (datagram sockets).
pub(crate) fn bind(fd: RawFd, a: &RawAddr) -> io::Result<()> {
    // SAFETY: `a` holds a valid address of `a.len` bytes.
    cvt(unsafe { libc::bind(fd, a.ptr(), a.len) })?;
    Ok(())
}
