//! The workflow graph: nodes (electron calls, sub-lattices, projections) and where their
//! arguments come from.

use std::time::Duration;

use bytes::Bytes;
use smallvec::SmallVec;

use super::arg::{Arg, NodeId};
use super::registry::LatticeDef;
use crate::codec::CodecError;
use crate::data::TypeInfo;
use crate::executor::ExecutorSel;
use crate::task::ElectronDef;

/// What a node does.
#[derive(Clone, Copy)]
pub enum Op {
    /// Calls an electron on an executor.
    Electron(&'static ElectronDef),
    /// Builds a sub-lattice when its inputs are known, then takes its output.
    Lattice(&'static LatticeDef),
    /// Takes field `index` of a tuple output (`node.split()`); runs inside the dispatcher.
    Project {
        /// The field.
        index: u8,
        /// Decodes the tuple, encodes the field.
        project: fn(&[u8]) -> Result<Bytes, CodecError>,
        /// The field's type.
        ty: TypeInfo,
    },
    /// Makes a struct of its arguments, one per field (`Stats::nodes(..)` of
    /// `#[derive(orbital::Nodes)]`); runs inside the dispatcher.
    Assemble {
        /// The fields' names.
        fields: &'static [&'static str],
        /// Decodes the fields (their encodings one after another), encodes the struct.
        assemble: fn(&[u8]) -> Result<Bytes, CodecError>,
        /// The struct's type.
        ty: TypeInfo,
    },
}

impl Op {
    /// The kind of node, as stored: `electron`, `sublattice`, `project` or `assemble`.
    pub fn kind(&self) -> &'static str {
        match self {
            Op::Electron(_) => "electron",
            Op::Lattice(_) => "sublattice",
            Op::Project { .. } => "project",
            Op::Assemble { .. } => "assemble",
        }
    }

    /// The registered name of the electron or lattice (`""` for projections and assemblies).
    pub fn target(&self) -> &'static str {
        match self {
            Op::Electron(d) => d.name,
            Op::Lattice(d) => d.name,
            Op::Project { .. } | Op::Assemble { .. } => "",
        }
    }

    /// The type of the node's output.
    pub fn output(&self) -> TypeInfo {
        match self {
            Op::Electron(d) => d.output,
            Op::Lattice(d) => d.output,
            Op::Project { ty, .. } | Op::Assemble { ty, .. } => *ty,
        }
    }

    /// The name of parameter `i`.
    pub fn param_name(&self, i: usize) -> &'static str {
        match self {
            Op::Electron(d) => d.params.get(i).map_or("?", |p| p.name),
            Op::Lattice(d) => d.params.get(i).map_or("?", |p| p.name),
            Op::Project { .. } => "value",
            Op::Assemble { fields, .. } => fields.get(i).copied().unwrap_or("?"),
        }
    }
}

impl std::fmt::Debug for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Electron(d) => write!(f, "Electron({})", d.name),
            Op::Lattice(d) => write!(f, "Lattice({})", d.name),
            Op::Project { index, .. } => write!(f, "Project({index})"),
            Op::Assemble { ty, .. } => write!(f, "Assemble({})", (ty.name)()),
        }
    }
}

/// One node of a graph.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// What it does.
    pub op: Op,
    /// Its display name (`join_words`, `divmod.0`...).
    pub name: String,
    /// Its arguments, one per parameter.
    pub args: SmallVec<[Arg; 2]>,
    /// Nodes it waits for without taking their data (`wait_for`).
    pub after: SmallVec<[NodeId; 1]>,
    /// Its executor (for a sub-lattice: the default it passes to its electrons).
    pub executor: ExecutorSel,
    /// Retries after a failed attempt.
    pub retries: u32,
    /// The longest one attempt may run.
    pub time_limit: Option<Duration>,
    /// The sub-lattice node this node was built by, if any.
    pub parent: Option<NodeId>,
}

impl NodeSpec {
    /// Every node this one waits for, data or not (may repeat).
    pub fn deps(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.args
            .iter()
            .flat_map(|a| a.deps().iter().copied())
            .chain(self.after.iter().copied())
    }
}

/// A built graph: its nodes in the order they were recorded (so every edge points backwards).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// The nodes; a node's [`NodeId`] is its index.
    pub nodes: Vec<NodeSpec>,
}

impl Graph {
    /// How many nodes there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> Option<&NodeSpec> {
        self.nodes.get(id.0 as usize)
    }
}
