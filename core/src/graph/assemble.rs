//! Structs whose fields are nodes: what `#[derive(orbital::Nodes)]` builds on.
//!
//! `Stats::nodes(total, count)` records an *assemble* node: when its inputs are known, the
//! dispatcher decodes the fields, makes the struct with [`Nodes::from_fields`] and encodes it,
//! without a task (like a tuple split). Going through the struct's own `Serialize` keeps every
//! `#[serde(..)]` attribute of the struct meaningful.

use std::marker::PhantomData;

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
pub trait Nodes: Sized {
    /// The fields, in order, as a nested tuple ending in `()`: `(A, (B, (C, ())))`. Its
    /// encoding is the fields' encodings one after another.
    type Fields;
    /// The struct's name, the assemble node's name.
    const NAME: &'static str;
    /// The fields' names, the labels of the node's edges in.
    const FIELDS: &'static [&'static str];
    /// The struct of these fields.
    fn from_fields(fields: Self::Fields) -> Self;
}

/// Decodes the fields, makes the struct, encodes it.
fn assemble_value<T: Nodes + Data>(fields: &[u8]) -> Result<Bytes, CodecError>
where
    T::Fields: Data,
{
    codec::encode(&T::from_fields(codec::decode::<T::Fields>(fields)?))
}

/// What the assemble node of a `T` needs. Used by the code of `#[derive(orbital::Nodes)]`:
/// `Assembly::<T>::new()`, spanned on the struct's name, is the one place where `T: Data` is
/// checked (as `DataFns` is for an electron's types).
#[doc(hidden)]
pub struct Assembly<T> {
    ty: TypeInfo,
    assemble: fn(&[u8]) -> Result<Bytes, CodecError>,
    _t: PhantomData<fn() -> T>,
}

impl<T: Nodes> Assembly<T> {
    /// The functions of `T`. The bound is the function's, so that a missing one is reported as
    /// `T: Data`, with its message.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self
    where
        T: Data,
        T::Fields: Data,
    {
        Assembly {
            ty: TypeInfo::of::<T>(),
            assemble: assemble_value::<T>,
            _t: PhantomData,
        }
    }

    /// Records the assemble node of a `T` whose fields come from `fields` (one per field, in
    /// order), in the current lattice body.
    ///
    /// # Panics
    /// When no lattice body is being built on this thread.
    pub fn record(&self, fields: SmallVec<[Arg; 2]>) -> Node<T> {
        Node::from_id(builder::record(NodeSpec {
            op: Op::Assemble {
                fields: T::FIELDS,
                assemble: self.assemble,
                ty: self.ty,
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
}
