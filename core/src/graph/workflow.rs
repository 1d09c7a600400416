//! A built lattice: its graph, its encoded inputs and where its output comes from.

use std::marker::PhantomData;

use bytes::Bytes;

use crate::codec::CodecError;
use crate::executor::ExecutorSel;
use crate::graph::builder;
use crate::graph::registry::LatticeDef;
use crate::graph::{Arg, Graph};

/// A lattice built with concrete inputs, ready to draw or dispatch. `T` is its output type.
///
/// `my_lattice::build(..)` returns one; `my_lattice::dispatch(..)` builds and dispatches.
pub struct Workflow<T> {
    pub(crate) lattice: &'static LatticeDef,
    pub(crate) inputs: Vec<Bytes>,
    pub(crate) graph: Graph,
    pub(crate) output: Arg,
    pub(crate) errors: Vec<String>,
    _t: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Workflow<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workflow")
            .field("lattice", &self.lattice.name)
            .field("nodes", &self.graph.len())
            .finish_non_exhaustive()
    }
}

impl<T> Workflow<T> {
    /// Builds a lattice: runs `body` inside a graph builder. Used by generated code.
    #[doc(hidden)]
    pub fn build(
        lattice: &'static LatticeDef,
        inputs: Vec<Result<Bytes, CodecError>>,
        body: impl FnOnce() -> Arg,
    ) -> Self {
        let default = ExecutorSel::resolve(lattice.executor, &ExecutorSel::local());
        let built = builder::build(default, body);
        let mut errors = built.errors;
        let inputs = inputs
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                r.unwrap_or_else(|e| {
                    let p = lattice.params.get(i).map_or("?", |p| p.name);
                    errors.push(format!("input `{p}` of lattice `{}`: {e}", lattice.name));
                    Bytes::new()
                })
            })
            .collect();
        Workflow {
            lattice,
            inputs,
            graph: built.graph,
            output: built.value,
            errors,
            _t: PhantomData,
        }
    }

    /// Builds a registered lattice again from its encoded inputs (resume).
    pub(crate) fn rebuild(
        lattice: &'static LatticeDef,
        inputs: Vec<Bytes>,
    ) -> Result<Self, String> {
        let default = ExecutorSel::resolve(lattice.executor, &ExecutorSel::local());
        let (graph, output) = builder::build_lattice(lattice, default, inputs.clone())?;
        Ok(Workflow {
            lattice,
            inputs,
            graph,
            output,
            errors: Vec::new(),
            _t: PhantomData,
        })
    }

    /// The lattice this workflow was built from.
    pub fn lattice(&self) -> &'static LatticeDef {
        self.lattice
    }

    /// The graph: one node per electron call, sub-lattice and tuple field.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Where the output comes from: a node, several nodes, or a constant.
    pub fn output_source(&self) -> &Arg {
        &self.output
    }

    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        crate::graph::draw::dot(&crate::graph::draw::GraphView::from_graph(
            self.lattice.fn_name,
            &self.graph,
            &self.output,
        ))
    }

    /// The graph as a Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        crate::graph::draw::mermaid(&crate::graph::draw::GraphView::from_graph(
            self.lattice.fn_name,
            &self.graph,
            &self.output,
        ))
    }
}
