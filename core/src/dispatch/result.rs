//! What a dispatch produced: its status, output, inputs, errors, times, and every node's result.

use std::marker::PhantomData;
use std::time::SystemTime;

use bytes::Bytes;

use crate::codec;
use crate::data::{Data, TypeInfo};
use crate::error::{Error, NodeFailure};
use crate::graph::NodeId;
use crate::status::{DispatchStatus, NodeStatus};
use crate::store::{StoredDispatch, StoredNode};

/// The output type of a result read back by id ([`crate::Runtime::get_result`]): decode the
/// output with [`DispatchResult::output_as`], or read it as JSON.
#[derive(Debug, Clone, Copy)]
pub enum Untyped {}

/// A value as a result holds it: encoded (with its type) or as stored JSON text.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Encoded(Bytes, TypeInfo),
    Stored(Option<Bytes>, Option<String>),
}

impl Value {
    fn json(&self) -> Option<serde_json::Value> {
        match self {
            Value::Encoded(b, ty) => (ty.to_json)(b).ok(),
            Value::Stored(_, Some(text)) => serde_json::from_str(text).ok(),
            Value::Stored(_, None) => None,
        }
    }

    fn bytes(&self) -> Option<&Bytes> {
        match self {
            Value::Encoded(b, _) => Some(b),
            Value::Stored(b, _) => b.as_ref(),
        }
    }
}

/// The result of one node.
#[derive(Debug, Clone)]
pub struct NodeResult {
    pub(crate) id: NodeId,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) electron: String,
    pub(crate) executor: String,
    pub(crate) status: NodeStatus,
    pub(crate) output: Option<Value>,
    pub(crate) error: Option<String>,
    pub(crate) started: Option<SystemTime>,
    pub(crate) ended: Option<SystemTime>,
    pub(crate) attempts: u32,
    pub(crate) parent: Option<NodeId>,
    pub(crate) stdout: Option<String>,
    pub(crate) stderr: Option<String>,
    pub(crate) reused_from: Option<(String, u32)>,
}

impl NodeResult {
    /// The dispatch and node whose output this node took instead of running (a redispatch
    /// with reuse, or `#[electron(cache = true)]`); `None` when it ran (or did not complete).
    pub fn reused_from(&self) -> Option<(&str, u32)> {
        self.reused_from.as_ref().map(|(d, n)| (d.as_str(), *n))
    }
    /// The node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// Its display name (the electron's function name, `parent.0` for a tuple field).
    pub fn name(&self) -> &str {
        &self.name
    }
    /// `electron`, `sublattice` or `project`.
    pub fn kind(&self) -> &str {
        &self.kind
    }
    /// The registered name of its electron or lattice.
    pub fn electron(&self) -> &str {
        &self.electron
    }
    /// The executor it ran on.
    pub fn executor(&self) -> &str {
        &self.executor
    }
    /// Its status.
    pub fn status(&self) -> NodeStatus {
        self.status
    }
    /// Its output as JSON, when it completed.
    pub fn output_json(&self) -> Option<serde_json::Value> {
        self.output.as_ref().and_then(Value::json)
    }
    /// Its output decoded as `U`.
    ///
    /// # Errors
    /// When it has no output, or the output is not a `U`.
    pub fn output_as<U: Data>(&self) -> Result<U, Error> {
        let bytes =
            self.output
                .as_ref()
                .and_then(Value::bytes)
                .ok_or_else(|| Error::DispatchFailed {
                    id: String::new(),
                    status: DispatchStatus::Failed,
                    failed: vec![NodeFailure {
                        node: self.id.0,
                        name: self.name.clone(),
                        error: self
                            .error
                            .clone()
                            .unwrap_or_else(|| format!("has no output (status {})", self.status)),
                    }],
                })?;
        Ok(codec::decode(bytes)?)
    }
    /// Why it failed (or why it did not run).
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// When its last attempt started.
    pub fn started(&self) -> Option<SystemTime> {
        self.started
    }
    /// When it ended.
    pub fn ended(&self) -> Option<SystemTime> {
        self.ended
    }
    /// How many attempts ran.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// The sub-lattice node that built this node, if any.
    pub fn parent(&self) -> Option<NodeId> {
        self.parent
    }
    /// Captured standard output (executors that run tasks in another process capture it).
    pub fn stdout(&self) -> Option<&str> {
        self.stdout.as_deref()
    }
    /// Captured standard error.
    pub fn stderr(&self) -> Option<&str> {
        self.stderr.as_deref()
    }
}

/// The result of a dispatch. `T` is the lattice's output type ([`Untyped`] when read by id).
#[derive(Debug, Clone)]
pub struct DispatchResult<T = Untyped> {
    pub(crate) id: String,
    pub(crate) lattice: String,
    pub(crate) status: DispatchStatus,
    pub(crate) inputs: Option<serde_json::Value>,
    pub(crate) output: Option<Value>,
    pub(crate) output_type: String,
    pub(crate) error: Option<String>,
    pub(crate) created: Option<SystemTime>,
    pub(crate) started: Option<SystemTime>,
    pub(crate) ended: Option<SystemTime>,
    pub(crate) nodes: Vec<NodeResult>,
    pub(crate) _t: PhantomData<fn() -> T>,
}

impl<T> DispatchResult<T> {
    /// The dispatch id.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// The lattice's registered name.
    pub fn lattice(&self) -> &str {
        &self.lattice
    }
    /// How the dispatch ended (or where it is).
    pub fn status(&self) -> DispatchStatus {
        self.status
    }
    /// The inputs, as JSON: an object from parameter name to value.
    pub fn inputs(&self) -> Option<&serde_json::Value> {
        self.inputs.as_ref()
    }
    /// Why the dispatch failed: the failed nodes and their errors.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// When it was created.
    pub fn created(&self) -> Option<SystemTime> {
        self.created
    }
    /// When it started running.
    pub fn started(&self) -> Option<SystemTime> {
        self.started
    }
    /// When it ended.
    pub fn ended(&self) -> Option<SystemTime> {
        self.ended
    }
    /// Every node's result, by id.
    pub fn nodes(&self) -> &[NodeResult] {
        &self.nodes
    }
    /// The result of node `id`.
    pub fn node(&self, id: NodeId) -> Option<&NodeResult> {
        self.nodes.get(id.0 as usize)
    }
    /// The results of the nodes with this display name (an electron called twice has two).
    pub fn nodes_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a NodeResult> + 'a {
        self.nodes.iter().filter(move |n| n.name == name)
    }
    /// The nodes that failed, with their errors.
    pub fn failures(&self) -> Vec<NodeFailure> {
        self.nodes
            .iter()
            .filter(|n| n.status == NodeStatus::Failed)
            .map(|n| NodeFailure {
                node: n.id.0,
                name: n.name.clone(),
                error: n.error.clone().unwrap_or_default(),
            })
            .collect()
    }
    /// The output as JSON, when the dispatch produced it.
    pub fn output_json(&self) -> Option<serde_json::Value> {
        self.output.as_ref().and_then(Value::json)
    }

    fn output_bytes(&self) -> Result<&Bytes, Error> {
        self.output
            .as_ref()
            .and_then(Value::bytes)
            .ok_or_else(|| Error::DispatchFailed {
                id: self.id.clone(),
                status: self.status,
                failed: self.failures(),
            })
    }

    /// The output decoded as `U`.
    ///
    /// # Errors
    /// When the dispatch produced no output ([`Error::DispatchFailed`] names the failed nodes),
    /// or the output is not a `U`.
    pub fn output_as<U: Data>(&self) -> Result<U, Error> {
        let bytes = self.output_bytes()?;
        codec::decode(bytes).map_err(|_| Error::OutputType {
            id: self.id.clone(),
            stored: self.output_type.clone(),
            asked: std::any::type_name::<U>(),
        })
    }
}

impl<T: Data> DispatchResult<T> {
    /// The lattice's output.
    ///
    /// # Errors
    /// When the dispatch ended without its output: [`Error::DispatchFailed`] names the nodes
    /// that failed and why.
    pub fn output(&self) -> Result<T, Error> {
        self.output_as::<T>()
    }
}

impl DispatchResult<Untyped> {
    pub(crate) fn from_stored(d: StoredDispatch) -> Self {
        let nodes = d.nodes.into_iter().map(node_from_stored).collect();
        DispatchResult {
            id: d.summary.id,
            lattice: d.summary.lattice,
            status: d.summary.status,
            inputs: d.inputs_json.and_then(|t| serde_json::from_str(&t).ok()),
            output: (d.output.is_some() || d.output_json.is_some())
                .then(|| Value::Stored(d.output.map(Bytes::from), d.output_json)),
            output_type: d.output_type,
            error: d.error,
            created: Some(d.summary.created),
            started: d.started,
            ended: d.summary.ended,
            nodes,
            _t: PhantomData,
        }
    }

    /// The same result, with its output typed as `U` (checked when the output is read).
    pub fn typed<U>(self) -> DispatchResult<U> {
        DispatchResult {
            id: self.id,
            lattice: self.lattice,
            status: self.status,
            inputs: self.inputs,
            output: self.output,
            output_type: self.output_type,
            error: self.error,
            created: self.created,
            started: self.started,
            ended: self.ended,
            nodes: self.nodes,
            _t: PhantomData,
        }
    }
}

fn node_from_stored(n: StoredNode) -> NodeResult {
    NodeResult {
        id: NodeId(n.id),
        name: n.name,
        kind: n.kind,
        electron: n.electron,
        executor: n.executor,
        status: n.status,
        output: (n.output.is_some() || n.output_json.is_some())
            .then(|| Value::Stored(n.output.map(Bytes::from), n.output_json)),
        error: n.error,
        started: n.started,
        ended: n.ended,
        attempts: n.attempts,
        parent: n.parent.map(NodeId),
        stdout: n.stdout,
        stderr: n.stderr,
        reused_from: n.reused_from,
    }
}
