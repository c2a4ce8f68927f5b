//! The span record pool: `Span` metadata lives outside the collected heap, in records that are
//! never freed, only recycled (so a racing reader of a stale page-map entry always finds a
//! valid record whose `state` tells it what it may read). Records are allocated in boxes of 64
//! and kept on a free list under the heap lock.

use super::span::Span;

/// Free span records. Protected by the heap lock.
#[derive(Debug, Default)]
pub(crate) struct SpanPool {
    free: Vec<&'static Span>,
}

impl SpanPool {
    /// A Free span record.
    pub(crate) fn get(&mut self) -> &'static Span {
        if let Some(s) = self.free.pop() {
            return s;
        }
        let chunk: &'static [Span] = Box::leak((0..64).map(|_| Span::new()).collect::<Vec<_>>().into_boxed_slice());
        self.free.extend(chunk.iter().skip(1));
        &chunk[0]
    }

    /// Returns a retired record.
    pub(crate) fn put(&mut self, s: &'static Span) {
        self.free.push(s);
    }
}
