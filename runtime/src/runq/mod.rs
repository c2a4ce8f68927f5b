//! Run queues: each P's fixed ring with lock-free stealing (`local.rs`) and the global queue
//! under the scheduler lock (`global.rs`).

pub(crate) mod global;
pub(crate) mod local;

pub(crate) use global::GQueue;
pub(crate) use local::LocalQueue;
