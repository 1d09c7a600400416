//! Where a node's arguments come from: constants, other nodes' outputs, a fan-in of them, or a
//! composite of all these.
//!
//! A composite (a tuple or a map whose elements come from nodes and constants) is encoded
//! without decoding its parts, from postcard's layout: a tuple is its elements one after
//! another, a map is its length (a varint) followed by each key and value (this is how
//! `Vec<Node<T>>` fan-ins already work, see [`codec::encode_seq`]). So a lattice that ends in
//! `(total, count)` hands over the tuple's bytes without a task of its own, and an electron
//! taking a `HashMap<K, V>` gets the map's bytes straight from its inputs.

use bytes::Bytes;

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

/// How the parts of a [`Composite`] make its encoding.
///
/// ```
/// use orbital_core::graph::{Composite, Shape};
/// use orbital_core::{Arg, NodeId};
/// let arg = Composite::tuple(vec![Arg::Node(NodeId(0)), Arg::Node(NodeId(1))]);
/// let Arg::Composite(c) = arg else { unreachable!() };
/// assert_eq!(c.shape(), Shape::Tuple);
/// assert_eq!(c.parts().len(), 2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A tuple: the parts one after another.
    Tuple,
    /// A map: the number of entries, then the parts, a key and its value each.
    Map,
}

/// A tuple or a map of parts (see the [module](self)).
#[derive(Debug, Clone)]
pub struct Composite {
    shape: Shape,
    parts: Vec<Arg>,
    /// Every node the parts depend on, in order (so that [`Arg::deps`] is a slice).
    deps: Vec<NodeId>,
}

impl Composite {
    /// A tuple of `parts`; all constants make one constant.
    ///
    /// ```
    /// use orbital_core::codec::{decode, encode};
    /// use orbital_core::graph::Composite;
    /// use orbital_core::{Arg, NodeId};
    /// let arg = Composite::tuple(vec![Arg::Node(NodeId(0)), Arg::Const(encode(&3u8).unwrap())]);
    /// assert_eq!(arg.deps(), [NodeId(0)]);
    /// let bytes = arg.value(&|_| encode(&1.5f64).unwrap());
    /// assert_eq!(decode::<(f64, u8)>(&bytes).unwrap(), (1.5, 3));
    /// ```
    pub fn tuple(parts: Vec<Arg>) -> Arg {
        Self::make(Shape::Tuple, parts)
    }

    /// A map of `entries`, each an encoded key and where its value comes from.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// use orbital_core::codec::{decode, encode};
    /// use orbital_core::graph::Composite;
    /// use orbital_core::{Arg, NodeId};
    /// let arg = Composite::map(vec![
    ///     (encode("a").unwrap(), Arg::Node(NodeId(0))),
    ///     (encode("b").unwrap(), Arg::Const(encode(&2u8).unwrap())),
    /// ]);
    /// let bytes = arg.value(&|_| encode(&1u8).unwrap());
    /// let map: BTreeMap<String, u8> = decode(&bytes).unwrap();
    /// assert_eq!(map, BTreeMap::from([("a".into(), 1), ("b".into(), 2)]));
    /// ```
    pub fn map(entries: Vec<(Bytes, Arg)>) -> Arg {
        let parts = entries
            .into_iter()
            .flat_map(|(k, v)| [Arg::Const(k), v])
            .collect();
        Self::make(Shape::Map, parts)
    }

    fn make(shape: Shape, parts: Vec<Arg>) -> Arg {
        let c = Composite {
            shape,
            deps: parts
                .iter()
                .flat_map(|p| p.deps().iter().copied())
                .collect(),
            parts,
        };
        if c.deps.is_empty() {
            // Nothing to wait for: the value is known now.
            let mut out = Vec::new();
            c.encode_into(&mut out, &|_| Bytes::new());
            return Arg::Const(Bytes::from(out));
        }
        Arg::Composite(Box::new(c))
    }

    /// Its shape.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Its parts (for a map: key, value, key, value...).
    pub fn parts(&self) -> &[Arg] {
        &self.parts
    }

    pub(crate) fn deps(&self) -> &[NodeId] {
        &self.deps
    }

    pub(crate) fn encode_into(&self, out: &mut Vec<u8>, output_of: &dyn Fn(NodeId) -> Bytes) {
        if self.shape == Shape::Map {
            codec::write_len(out, self.parts.len() / 2);
        }
        for part in &self.parts {
            part.encode_into(out, output_of);
        }
    }

    pub(crate) fn offset(&mut self, by: u32) {
        self.parts.iter_mut().for_each(|p| p.offset(by));
        self.deps.iter_mut().for_each(|d| d.0 += by);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::codec::{decode, encode};

    fn outputs(id: NodeId) -> Bytes {
        encode(&(u64::from(id.0) * 10)).unwrap()
    }

    #[test]
    fn a_tuple_of_nodes_and_constants_is_the_tuple_encoding() {
        let arg = Composite::tuple(vec![
            Arg::Node(NodeId(2)),
            Arg::Const(encode("x").unwrap()),
            Arg::Collect(vec![NodeId(1), NodeId(3)]),
        ]);
        assert_eq!(arg.deps(), [NodeId(2), NodeId(1), NodeId(3)]);
        let v: (u64, String, Vec<u64>) = decode(&arg.value(&outputs)).unwrap();
        assert_eq!(v, (20, "x".into(), vec![10, 30]));
    }

    #[test]
    fn constants_only_fold_into_one_constant() {
        let arg = Composite::tuple(vec![
            Arg::Const(encode(&1u8).unwrap()),
            Arg::Const(encode(&2u8).unwrap()),
        ]);
        let Arg::Const(b) = arg else {
            panic!("not folded: {arg:?}")
        };
        assert_eq!(decode::<(u8, u8)>(&b).unwrap(), (1, 2));
    }

    #[test]
    fn maps_and_nesting_and_offsets() {
        let inner = Composite::tuple(vec![Arg::Node(NodeId(0)), Arg::Node(NodeId(1))]);
        let mut arg = Composite::map(
            (0..200u32)
                .map(|i| (encode(&i).unwrap(), Arg::Node(NodeId(i))))
                .chain([(encode(&999u32).unwrap(), Arg::Node(NodeId(0)))])
                .collect(),
        );
        let map: HashMap<u32, u64> = decode(&arg.value(&outputs)).unwrap();
        assert_eq!(map.len(), 201);
        assert_eq!(map[&150], 1500);
        arg.offset(5);
        assert_eq!(arg.deps()[0], NodeId(5));
        let map: HashMap<u32, u64> = decode(&arg.value(&outputs)).unwrap();
        assert_eq!(map[&150], 1550);
        let mut pair = Composite::tuple(vec![inner, Arg::Node(NodeId(4))]);
        pair.offset(1);
        assert_eq!(pair.deps(), [NodeId(1), NodeId(2), NodeId(5)]);
        let v: ((u64, u64), u64) = decode(&pair.value(&outputs)).unwrap();
        assert_eq!(v, ((10, 20), 50));
    }
}
