//! Where a node's arguments come from: constants, other nodes' outputs, or a fan-in of them.

use bytes::Bytes;

/// A node's index in its dispatch's graph.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct NodeId(pub u32);

impl std::fmt::Display for NodeId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where one argument of a node comes from.
#[derive(Debug, Clone)]
pub enum Arg {
    /// A constant, already encoded.
    Const(Bytes),
    /// The output of another node.
    Node(NodeId),
    /// A `Vec` of the outputs of other nodes (fan-in).
    Collect(Vec<NodeId>),
}

impl Arg {
    /// The nodes this argument depends on.
    pub fn deps(&self) -> &[NodeId] {
        match self {
            Arg::Const(_) => &[],
            Arg::Node(id) => std::slice::from_ref(id),
            Arg::Collect(ids) => ids,
        }
    }

    pub(crate) fn offset(&mut self, by: u32) {
        match self {
            Arg::Const(_) => {}
            Arg::Node(id) => id.0 += by,
            Arg::Collect(ids) => ids.iter_mut().for_each(|id| id.0 += by),
        }
    }
}
