//! Where a node's arguments come from: constants, other nodes' outputs, or a fan-in of them.

use bytes::Bytes;

use super::composite::Composite;
use crate::codec;

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
    /// A tuple or a map whose parts are constants, nodes' outputs or composites themselves
    /// (a lattice's `(total, count)`, a `HashMap<K, Node<V>>`).
    Composite(Box<Composite>),
}

impl Arg {
    /// The nodes this argument depends on.
    pub fn deps(&self) -> &[NodeId] {
        match self {
            Arg::Const(_) => &[],
            Arg::Node(id) => std::slice::from_ref(id),
            Arg::Collect(ids) => ids,
            Arg::Composite(c) => c.deps(),
        }
    }

    /// The argument's encoded value, given the encoded output of each node it depends on.
    ///
    /// ```
    /// use orbital_core::{codec, Arg, NodeId};
    /// let arg = Arg::Collect(vec![NodeId(0), NodeId(1)]);
    /// let outputs = [codec::encode(&2u8).unwrap(), codec::encode(&3u8).unwrap()];
    /// let bytes = arg.value(&|id| outputs[id.0 as usize].clone());
    /// assert_eq!(codec::decode::<Vec<u8>>(&bytes).unwrap(), [2, 3]);
    /// ```
    pub fn value(&self, output_of: &dyn Fn(NodeId) -> Bytes) -> Bytes {
        match self {
            Arg::Const(b) => b.clone(),
            Arg::Node(id) => output_of(*id),
            Arg::Collect(ids) => {
                let parts: Vec<Bytes> = ids.iter().map(|&id| output_of(id)).collect();
                codec::encode_seq(parts.iter())
            }
            Arg::Composite(c) => {
                let mut out = Vec::new();
                c.encode_into(&mut out, output_of);
                Bytes::from(out)
            }
        }
    }

    /// Appends the argument's encoded value to `out` (see [`Arg::value`]).
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>, output_of: &dyn Fn(NodeId) -> Bytes) {
        match self {
            Arg::Composite(c) => c.encode_into(out, output_of),
            other => out.extend_from_slice(&other.value(output_of)),
        }
    }

    pub(crate) fn offset(&mut self, by: u32) {
        match self {
            Arg::Const(_) => {}
            Arg::Node(id) => id.0 += by,
            Arg::Collect(ids) => ids.iter_mut().for_each(|id| id.0 += by),
            Arg::Composite(c) => c.offset(by),
        }
    }
}
