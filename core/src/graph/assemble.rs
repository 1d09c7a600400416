//! Structs whose fields are nodes: what `#[derive(orbital::Nodes)]` builds on.
//!
//! `Stats::nodes(total, count)` records an *assemble* node: when its inputs are known, the
//! dispatcher decodes the fields, makes the struct with [`Nodes::from_fields`] and encodes it,
//! without a task (like a tuple split). Going through the struct's own `Serialize` keeps every
//! `#[serde(..)]` attribute of the struct meaningful.

use bytes::Bytes;
use smallvec::SmallVec;

use super::builder;
use super::node::Node;
use super::{Arg, NodeSpec, Op};
use crate::codec::{self, CodecError};
use crate::data::{Data, TypeInfo};
use crate::executor::ExecutorSel;

/// A struct that can be made of nodes, one per field: what `#[derive(orbital::Nodes)]`
/// implements, along with `fn nodes(..) -> Node<Self>` (one parameter per field, in order).
///
/// ```
/// use orbital_core::Nodes;
/// #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
/// struct Stats { total: f64, count: usize }
/// // What the derive writes:
/// impl Nodes for Stats {
///     type Fields = (f64, (usize, ()));
///     const NAME: &'static str = "Stats";
///     const FIELDS: &'static [&'static str] = &["total", "count"];
///     fn from_fields((total, (count, ())): Self::Fields) -> Self {
///         Stats { total, count }
///     }
/// }
/// assert_eq!(Stats::from_fields((1.5, (2, ()))), Stats { total: 1.5, count: 2 });
/// ```
pub trait Nodes: Data {
    /// The fields, in order, as a nested tuple ending in `()`: `(A, (B, (C, ())))`. Its
    /// encoding is the fields' encodings one after another.
    type Fields: Data;
    /// The struct's name, the assemble node's name.
    const NAME: &'static str;
    /// The fields' names, the labels of the node's edges in.
    const FIELDS: &'static [&'static str];
    /// The struct of these fields.
    fn from_fields(fields: Self::Fields) -> Self;
}

/// Decodes the fields, makes the struct, encodes it.
fn assemble_value<T: Nodes>(fields: &[u8]) -> Result<Bytes, CodecError> {
    codec::encode(&T::from_fields(codec::decode::<T::Fields>(fields)?))
}

/// Records the assemble node of a `T` whose fields come from `fields` (one per field, in
/// order), in the current lattice body. Used by the code of `#[derive(orbital::Nodes)]`.
///
/// # Panics
/// When no lattice body is being built on this thread.
#[doc(hidden)]
pub fn assemble<T: Nodes>(fields: SmallVec<[Arg; 2]>) -> Node<T> {
    Node::from_id(builder::record(NodeSpec {
        op: Op::Assemble {
            fields: T::FIELDS,
            assemble: assemble_value::<T>,
            ty: TypeInfo::of::<T>(),
        },
        name: T::NAME.to_owned(),
        args: fields,
        after: Default::default(),
        executor: ExecutorSel::local(),
        retries: 0,
        time_limit: None,
        parent: None,
    }))
}
