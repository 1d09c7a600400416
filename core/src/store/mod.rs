//! The results store: one SQLite file (WAL), written by one thread in batched transactions.
//! It may use `config`, `data`, `codec` and `status`, and nothing of the graph, the tasks or
//! the dispatcher: those send it rows ([`StoreOp`]) and read back [`StoredDispatch`].
//!
//! The dispatcher never waits on SQLite: it sends each state change to the writer thread,
//! which commits whatever has accumulated in one transaction (keeping only the latest state
//! of a node when several changes of it arrive together). Readers, in this process or another,
//! open their own connection and see every committed state.

mod admin;
mod columns;
mod error;
mod handle;
mod reader;
mod reuse;
mod schema;
mod writer;

pub use admin::Purge;
pub use error::StoreError;
pub use handle::{default_path, Store};
pub use reader::{DispatchSummary, NodeCounts, StoredDispatch, StoredNode};
pub use reuse::Reusable;
pub use writer::{CacheKey, DispatchRow, NodeRow, NodeUpdate, StoreOp};
