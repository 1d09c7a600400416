//! The workflow graph and how it is built: the nodes and their arguments ([`Graph`]), the
//! registry of the program's electrons and lattices, the builder that a `#[lattice]` body
//! records into, the typed [`Node`](crate::Node) handles, and drawings of a graph.
//! It may use `task`, `executor`, `data`, `codec`, and `store`/`status` (for drawing a stored
//! dispatch); the dispatcher builds on it, never the other way round.

mod arg;
pub mod builder;
pub mod draw;
mod model;
pub(crate) mod node;
pub mod registry;
pub(crate) mod workflow;

pub use arg::{Arg, NodeId};
pub use model::{Graph, NodeSpec, Op};
