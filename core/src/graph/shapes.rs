//! Composite shapes of nodes: a tuple of nodes where a tuple is expected, a map of nodes where
//! a map is expected. They become a [`Composite`] argument: no task of their own.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;

use super::arg::Composite;
use super::node::{IntoNode, Node};
use super::Arg;
use crate::codec;
use crate::data::Data;
use crate::graph::builder;

/// What may stand where a tuple `P` is expected: a tuple whose elements may each be given as
/// [`IntoNode`] allows (a node, a constant, a `Vec` of nodes...), or a [`Node<P>`].
///
/// A lattice whose declared output is a tuple type (`-> (f64, usize)`) may end its body in a
/// tuple of nodes and constants, as Covalent's `return total, count`; an electron parameter
/// of a tuple type takes one too:
///
/// ```
/// use orbital_core::graph::IntoTuple;
/// use orbital_core::{builder, ExecutorSel, Node, NodeId};
/// let built = builder::build(ExecutorSel::local(), || {
///     let total: Node<f64> = Node::from_id(NodeId(0));
///     <_ as IntoTuple<(f64, usize)>>::into_arg((total, 3usize))
/// });
/// assert_eq!(built.value.deps(), [NodeId(0)]);
/// ```
///
/// Implemented for tuples of 1 to 12 elements. (It is a trait of its own, not more
/// [`IntoNode`] impls, because `IntoNode` already takes every constant tuple as itself.)
#[diagnostic::on_unimplemented(
    message = "expected `{P}`, a tuple of nodes and constants or a `Node<{P}>`, found `{Self}`",
    label = "this must be a `{P}`, a tuple of nodes and constants, or a `Node<{P}>`",
    note = "each element of the tuple may be a node of that element's type or a constant"
)]
pub trait IntoTuple<P> {
    /// Where the tuple's value will come from.
    fn into_arg(self) -> Arg;
}

impl<T> IntoTuple<T> for Node<T> {
    fn into_arg(self) -> Arg {
        Arg::Node(self.id())
    }
}

impl<T> IntoTuple<T> for &Node<T> {
    fn into_arg(self) -> Arg {
        Arg::Node(self.id())
    }
}

macro_rules! into_tuple {
    ($($X:ident $P:ident $i:tt),+) => {
        impl<$($X: IntoNode<$P>, $P),+> IntoTuple<($($P,)+)> for ($($X,)+) {
            fn into_arg(self) -> Arg {
                Composite::tuple(vec![$(<$X as IntoNode<$P>>::into_arg(self.$i)),+])
            }
        }
    };
}

into_tuple!(A PA 0);
into_tuple!(A PA 0, B PB 1);
into_tuple!(A PA 0, B PB 1, C PC 2);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6, H PH 7);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6, H PH 7, I PI 8);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6, H PH 7, I PI 8, J PJ 9);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6, H PH 7, I PI 8, J PJ 9, K PK 10);
into_tuple!(A PA 0, B PB 1, C PC 2, D PD 3, E PE 4, F PF 5, G PG 6, H PH 7, I PI 8, J PJ 9, K PK 10, L PL 11);

/// The entries of a map of nodes, each key encoded now.
fn map_arg<'a, K: Data, V: 'a>(entries: impl Iterator<Item = (&'a K, &'a Node<V>)>) -> Arg {
    let entries = entries
        .map(|(k, v)| {
            let key = codec::encode(k).unwrap_or_else(|e| {
                builder::error(format!("a key of a map of nodes could not be encoded: {e}"));
                Bytes::new()
            });
            (key, Arg::Node(v.id()))
        })
        .collect();
    Composite::map(entries)
}

/// A `HashMap` of nodes where an electron expects a `HashMap` of values (Covalent's dict of
/// electron results): each value comes from its node.
///
/// ```text
/// let scores: HashMap<String, Node<f64>> = names.into_iter().map(|n| (n.clone(), score(n))).collect();
/// best(scores)   // #[electron] fn best(scores: HashMap<String, f64>) -> String
/// ```
impl<K: Data, V, S, S2> IntoNode<HashMap<K, V, S2>> for HashMap<K, Node<V>, S> {
    fn into_arg(self) -> Arg {
        map_arg(self.iter())
    }
}

/// A borrowed `HashMap` of nodes, as the owned one.
impl<K: Data, V, S, S2> IntoNode<HashMap<K, V, S2>> for &HashMap<K, Node<V>, S> {
    fn into_arg(self) -> Arg {
        map_arg(self.iter())
    }
}

/// A `BTreeMap` of nodes where an electron expects a `BTreeMap` of values.
impl<K: Data, V> IntoNode<BTreeMap<K, V>> for BTreeMap<K, Node<V>> {
    fn into_arg(self) -> Arg {
        map_arg(self.iter())
    }
}

/// A borrowed `BTreeMap` of nodes, as the owned one.
impl<K: Data, V> IntoNode<BTreeMap<K, V>> for &BTreeMap<K, Node<V>> {
    fn into_arg(self) -> Arg {
        map_arg(self.iter())
    }
}
