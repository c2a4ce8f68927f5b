//! Channels between goroutines, as Go's `chan`: bounded (`bounded(n)`, `n == 0` is a
//! rendezvous channel), unbounded, multi-producer multi-consumer, with `close`.
//!
//! - Sending on a closed channel fails, returning the value. Receiving from a closed channel
//!   drains what is buffered, then fails.
//! - Dropping the last `Sender` closes the channel; dropping the last `Receiver` closes it too
//!   (blocked senders fail instead of waiting forever).
//! - `send`/`recv` park the goroutine (they must run on one); `try_send`/`try_recv` never wait
//!   and work from any thread, which is what `select`-style polling loops are built from.
//!
//! - Values that can hold a heap pointer (a word wide and word aligned) stay alive while they
//!   wait in a buffer: the collector scans live channels' buffers as roots, conservatively,
//!   and shades what moves in and out while it marks (`buffers.rs`). No `Root` is needed to
//!   send a `Gc`.
//!
//! The machinery (buffer, wait queues, hand-off) is in `core.rs`; the buffers as roots in
//! `buffers.rs`.

pub(crate) mod buffers;
mod core;

use self::core::Chan;
use std::fmt;
use std::sync::Arc;

/// The sending half. Cloneable.
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

/// The receiving half. Cloneable.
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

/// A channel holding up to `cap` values; `cap == 0` makes every send wait for a receiver.
///
/// ```
/// use tricolor_runtime::{block_on, go, gsync::chan};
/// let sum = block_on(|| {
///     let (tx, rx) = chan::bounded(0);
///     go(move || for i in 1..=10 { tx.send(i).unwrap() });
///     rx.iter().sum::<i32>()
/// });
/// assert_eq!(sum, 55);
/// ```
pub fn bounded<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan::new(cap));
    chan.register_root();
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// A channel without a capacity limit: `send` never waits.
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    bounded(usize::MAX)
}

/// `send` failed because the channel is closed; the value is returned.
#[derive(PartialEq, Eq, Clone, Copy)]
pub struct SendError<T>(pub T);

/// `recv` failed because the channel is closed and empty.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub struct RecvError;

/// Why `try_send` did not send.
#[derive(PartialEq, Eq, Clone, Copy)]
pub enum TrySendError<T> {
    /// The buffer is full and no receiver waits.
    Full(T),
    /// The channel is closed.
    Closed(T),
}

/// Why `try_recv` returned nothing.
#[derive(PartialEq, Eq, Clone, Copy, Debug)]
pub enum TryRecvError {
    /// Nothing buffered and no sender waits.
    Empty,
    /// The channel is closed and empty.
    Closed,
}

impl<T> Sender<T> {
    /// Sends `v`, parking while the channel is full.
    pub fn send(&self, v: T) -> Result<(), SendError<T>> {
        crate::preempt::safepoint();
        self.chan.send(v)
    }

    /// Sends `v` if that needs no waiting.
    pub fn try_send(&self, v: T) -> Result<(), TrySendError<T>> {
        crate::preempt::safepoint();
        self.chan.try_send(v)
    }

    /// Closes the channel: later sends fail, receivers drain the buffer, then fail. Returns
    /// false if it was already closed.
    pub fn close(&self) -> bool {
        self.chan.close()
    }

    /// Values buffered now.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether nothing is buffered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Receiver<T> {
    /// Receives a value, parking while the channel is empty. Fails once it is closed and
    /// drained.
    pub fn recv(&self) -> Result<T, RecvError> {
        crate::preempt::safepoint();
        self.chan.recv()
    }

    /// Receives a value if one is ready.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        crate::preempt::safepoint();
        self.chan.try_recv()
    }

    /// Iterates with `recv` until the channel is closed and drained.
    pub fn iter(&self) -> impl Iterator<Item = T> + '_ {
        std::iter::from_fn(move || self.recv().ok())
    }

    /// Values buffered now.
    pub fn len(&self) -> usize {
        self.chan.len()
    }

    /// Whether nothing is buffered now.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.chan.add_sender();
        Sender { chan: self.chan.clone() }
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Self {
        self.chan.add_receiver();
        Receiver { chan: self.chan.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        self.chan.drop_sender();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.drop_receiver();
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("len", &self.len()).finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> std::error::Error for SendError<T> {}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on a closed and empty channel")
    }
}

impl std::error::Error for RecvError {}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

// A panic never leaves a channel half-updated (every mutation completes under the lock before
// any user code runs), so handles may cross `catch_unwind`, as std's channels do.
impl<T> std::panic::UnwindSafe for Sender<T> {}
impl<T> std::panic::RefUnwindSafe for Sender<T> {}
impl<T> std::panic::UnwindSafe for Receiver<T> {}
impl<T> std::panic::RefUnwindSafe for Receiver<T> {}
