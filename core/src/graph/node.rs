//! Typed handles to the nodes of a graph under construction, and what may be passed to an
//! electron inside a lattice body.

use std::marker::PhantomData;

use smallvec::smallvec;

use crate::codec;
use crate::data::{Data, TypeInfo};
use crate::executor::ExecutorSel;
use crate::graph::builder;
use crate::graph::{Arg, NodeId, NodeSpec, Op};

/// The future output of a node, of type `T`: what an electron call returns inside a lattice.
///
/// A `Node<T>` is not a `T`: it can be passed to other electrons (which then depend on it),
/// split if it is a tuple, or made to wait for other nodes; it cannot be used as a plain value
/// (`format!("{node}")` or `node + 1` do not compile: do that work in an electron).
pub struct Node<T> {
    id: NodeId,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Node<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Node<T> {}

impl<T> std::fmt::Debug for Node<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Node<{}>({})", std::any::type_name::<T>(), self.id)
    }
}

impl<T> Node<T> {
    /// The handle of node `id`. Used by generated code.
    #[doc(hidden)]
    pub fn from_id(id: NodeId) -> Self {
        Node {
            id,
            _t: PhantomData,
        }
    }

    /// The node's id in its graph.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// Makes this node start only after `other` completed, without taking its output.
    ///
    /// Returns the node, so it chains: `let b = step_b(x).wait_for(a);`.
    pub fn wait_for<U>(self, other: impl AsRef<Node<U>>) -> Self {
        builder::add_order(self.id, other.as_ref().id);
        self
    }

    /// Makes this node start only after every node of `others` completed.
    pub fn wait_for_all<U>(self, others: impl IntoIterator<Item = Node<U>>) -> Self {
        for other in others {
            builder::add_order(self.id, other.id);
        }
        self
    }
}

impl<T> AsRef<Node<T>> for Node<T> {
    fn as_ref(&self) -> &Node<T> {
        self
    }
}

/// What may be passed where an electron (or a sub-lattice) expects a `P`: a `P` itself (a
/// constant), a [`Node<P>`], for `P = Vec<T>` a `Vec<Node<T>>` (fan-in), and for a
/// `HashMap<K, V>` or `BTreeMap<K, V>` a map of the same kind whose values are `Node<V>`
/// (`graph/shapes.rs`). A tuple of nodes goes where a tuple is expected through
/// [`IntoTuple`](crate::IntoTuple).
#[diagnostic::on_unimplemented(
    message = "expected `{P}` or `Node<{P}>`, found `{Self}`",
    label = "this argument must be a `{P}` or a `Node<{P}>`",
    note = "an electron parameter of type `P` takes a `P` (a constant), a `Node<P>` (the output of another electron), for `Vec<T>` a `Vec<Node<T>>`, and for `HashMap<K, V>` (or `BTreeMap`) a map of `Node<V>`"
)]
pub trait IntoNode<P> {
    /// Where the argument's value will come from.
    fn into_arg(self) -> Arg;
}

impl<T: Data> IntoNode<T> for T {
    fn into_arg(self) -> Arg {
        match codec::encode(&self) {
            Ok(bytes) => Arg::Const(bytes),
            Err(e) => {
                builder::error(format!("a constant argument could not be encoded: {e}"));
                Arg::Const(Default::default())
            }
        }
    }
}

impl<T> IntoNode<T> for Node<T> {
    fn into_arg(self) -> Arg {
        Arg::Node(self.id)
    }
}

impl<T> IntoNode<T> for &Node<T> {
    fn into_arg(self) -> Arg {
        Arg::Node(self.id)
    }
}

impl<T> IntoNode<Vec<T>> for Vec<Node<T>> {
    fn into_arg(self) -> Arg {
        Arg::Collect(self.into_iter().map(|n| n.id).collect())
    }
}

impl<T> IntoNode<Vec<T>> for &[Node<T>] {
    fn into_arg(self) -> Arg {
        Arg::Collect(self.iter().map(|n| n.id).collect())
    }
}

impl IntoNode<String> for &str {
    fn into_arg(self) -> Arg {
        self.to_owned().into_arg()
    }
}

/// Splits a node whose output is a tuple into one typed node per field.
///
/// Inside a lattice body (with `use orbital::prelude::*`), for an electron
/// `fn divmod(a: u64, b: u64) -> (u64, u64)`:
///
/// ```text
/// let (q, r) = divmod(a, 7).split();   // q: Node<u64>, r: Node<u64>
/// ```
///
/// Each field is a node of its own (`divmod.0`, `divmod.1`), computed in the dispatcher from
/// the tuple's output without running anything on an executor.
pub trait Split {
    /// The tuple of nodes.
    type Nodes;
    /// One node per field of the tuple.
    fn split(self) -> Self::Nodes;
}

/// Field `I` of a tuple type. Implemented for tuples of 2 to 6 fields.
pub trait TupleField<const I: usize>: Data {
    /// The field's type.
    type Out: Data;
    /// Takes the field.
    fn take(self) -> Self::Out;
}

fn project_field<T: TupleField<I>, const I: usize>(
    bytes: &[u8],
) -> Result<bytes::Bytes, codec::CodecError> {
    codec::encode(&codec::decode::<T>(bytes)?.take())
}

impl<T: Data> Node<T> {
    fn field<const I: usize>(self) -> Node<<T as TupleField<I>>::Out>
    where
        T: TupleField<I>,
    {
        let parent = builder::node_name(self.id).unwrap_or_default();
        Node::from_id(builder::record(NodeSpec {
            op: Op::Project {
                index: I as u8,
                project: project_field::<T, I>,
                ty: TypeInfo::of::<<T as TupleField<I>>::Out>(),
            },
            name: format!("{parent}.{I}"),
            args: smallvec![Arg::Node(self.id)],
            after: Default::default(),
            executor: ExecutorSel::local(),
            retries: 0,
            time_limit: None,
            parent: None,
        }))
    }
}

macro_rules! tuple_field {
    ([$($G:ident),+]; $T:ident $i:tt) => {
        impl<$($G: Data),+> TupleField<$i> for ($($G,)+) {
            type Out = $T;
            fn take(self) -> $T {
                self.$i
            }
        }
    };
}

macro_rules! split_tuple {
    ($gens:tt; $($T:ident $i:tt),+) => {
        impl<$($T: Data),+> Split for Node<($($T,)+)> {
            type Nodes = ($(Node<$T>,)+);
            fn split(self) -> Self::Nodes {
                ($(self.field::<$i>(),)+)
            }
        }
        $( tuple_field!($gens; $T $i); )+
    };
}

split_tuple!([A, B]; A 0, B 1);
split_tuple!([A, B, C]; A 0, B 1, C 2);
split_tuple!([A, B, C, D]; A 0, B 1, C 2, D 3);
split_tuple!([A, B, C, D, E]; A 0, B 1, C 2, D 3, E 4);
split_tuple!([A, B, C, D, E, F]; A 0, B 1, C 2, D 3, E 4, F 5);
