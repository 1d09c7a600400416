//! Values made of parts: a tuple or a map whose elements come from nodes and constants.
//!
//! A composite is encoded without decoding its parts, from postcard's layout: a tuple is its
//! elements one after another, a map is its length (a varint) followed by each key and value
//! (this is how `Vec<Node<T>>` fan-ins already work, see [`codec::encode_seq`]). So a lattice
//! that ends in `(total, count)` hands over the tuple's bytes without a task of its own, and an
//! electron taking a `HashMap<K, V>` gets the map's bytes straight from its inputs.

use bytes::Bytes;

use super::arg::{Arg, NodeId};
use crate::codec;

/// How the parts of a [`Composite`] make its encoding.
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
