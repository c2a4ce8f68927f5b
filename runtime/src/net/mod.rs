//! Sockets whose waits park the goroutine, not the thread (Go's `net`), on the runtime's
//! network poller (`netpoll/`). The API is std's (`std::net`, `std::os::unix::net`) plus Go's
//! deadlines and `close`; every error is a `std::io::Error` with std's kinds.
//!
//! - `fd.rs`: `NetFd`, the registered non-blocking descriptor and the one I/O loop.
//! - `sys.rs`: socket system calls and address conversions.
//! - `tcp.rs`, `udp.rs`, `unix.rs`: the socket types.
//!
//! **What blocks what.** On a goroutine, a read, write, accept or connect that cannot
//! complete parks the goroutine until the socket is ready, its deadline passes or it is
//! closed; its thread and P run other goroutines, so a thousand idle connections cost no
//! threads. Called from a plain thread (or inside `blocking(..)`), the same calls block that
//! thread in `poll(2)` and otherwise behave the same. Name resolution (`"host:port"`) runs
//! inside `blocking(..)`, since getaddrinfo has no readiness model.
//!
//! **Deadlines and timeouts.** `set_read_timeout`/`set_write_timeout` (std's) bound each call;
//! `set_read_deadline`/`set_write_deadline`/`set_deadline` (Go's) set an instant after which
//! waits fail, including waits already parked. Both fail with `ErrorKind::TimedOut`.
//!
//! **Close.** Dropping a socket closes it. `close(&self)` closes it for everyone sharing it
//! (Go's `Close`): every goroutine waiting on it wakes with `ErrorKind::NotConnected` ("use of
//! closed network connection"), later calls fail the same way, and the descriptor is released
//! when the value drops.

mod fd;
mod sys;
mod tcp;
mod udp;
mod unix;

pub use tcp::{Incoming, TcpListener, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixListener, UnixStream};
