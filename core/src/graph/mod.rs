//! The workflow graph and how it is built: the nodes and their arguments ([`Graph`]), the
//! registry of the program's electrons and lattices, the builder that a `#[lattice]` body
//! records into, the typed [`Node`](crate::Node) handles and the composite shapes made of them (tuples and
//! maps of nodes, structs of `#[derive(orbital::Nodes)]`), and drawings of a graph.
//! It may use `task`, `executor`, `data`, `codec`, and `store`/`status` (for drawing a stored
//! dispatch); the dispatcher builds on it, never the other way round.

mod arg;
mod assemble;
pub mod builder;
pub mod draw;
mod model;
pub(crate) mod node;
pub mod registry;
mod shapes;
pub(crate) mod workflow;

pub use arg::{Arg, Composite, NodeId, Shape};
pub use assemble::{Assembly, Nodes};
pub use model::{Graph, NodeSpec, Op};
pub use shapes::IntoTuple;
