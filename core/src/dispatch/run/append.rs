//! Nodes joining a run: the initial graph or a sub-lattice's, each given its lane (executor),
//! its count of inputs to wait for, and its row in the store.

use std::collections::VecDeque;
use std::sync::Arc;

use smallvec::SmallVec;

use super::state::{Lane, NodeState, Run, SetupState, NO_LANE};
use crate::error::Error;
use crate::executor::ExecutorSel;
use crate::graph::{Graph, NodeId, NodeSpec, Op};
use crate::status::NodeStatus;
use crate::store::{NodeRow, StoreOp};

impl Run {
    /// The lane (executor) a node selection runs on, created on first use.
    pub(super) fn lane(&mut self, sel: &ExecutorSel) -> Result<usize, Error> {
        let key = match sel {
            ExecutorSel::Named(n) => n.to_string(),
            ExecutorSel::Value(e) => format!("{}@{:p}", e.kind(), Arc::as_ptr(e)),
        };
        if let Some(&i) = self.lane_of.get(&key) {
            return Ok(i);
        }
        let exec = match sel {
            ExecutorSel::Named(n) => self.shared.executor(n)?,
            ExecutorSel::Value(e) => match e.configured(&self.shared.config().executors) {
                Ok(Some(done)) => done,
                Ok(None) => e.clone(),
                Err(message) => {
                    return Err(Error::ExecutorConfig {
                        name: sel.label(),
                        file: self.shared.config().file.clone(),
                        message,
                    })
                }
            },
        };
        let i = self.lanes.len();
        self.lanes.push(Lane {
            name: sel.label(),
            limit: exec.max_concurrency().unwrap_or(usize::MAX).max(1),
            batching: exec.batching(),
            workdir: exec.task_workdir(),
            exec,
            running: 0,
            queue: VecDeque::new(),
            setup: SetupState::NotStarted,
        });
        self.lane_of.insert(key, i);
        Ok(i)
    }

    /// Adds nodes to the graph (the initial graph, or a sub-lattice's), stores them, and marks
    /// the ready ones.
    pub(super) fn append(&mut self, graph: Graph, parent: Option<u32>, lanes: Option<Vec<u32>>) {
        let base = self.graph.len() as u32;
        let mut rows = Vec::with_capacity(graph.len());
        let mut lane_errors = Vec::new();
        for (i, mut spec) in graph.nodes.into_iter().enumerate() {
            let id = base + i as u32;
            if base > 0 {
                spec.args.iter_mut().for_each(|a| a.offset(base));
                spec.after.iter_mut().for_each(|d| d.0 += base);
            }
            if spec.parent.is_none() {
                spec.parent = parent.map(NodeId);
            }
            let mut state = NodeState::new();
            state.lane = match (&lanes, spec.op) {
                (Some(l), _) => l[i],
                (None, Op::Electron(_)) => match self.lane(&spec.executor) {
                    Ok(l) => l as u32,
                    Err(e) => {
                        lane_errors.push((id, e.to_string()));
                        NO_LANE
                    }
                },
                (None, _) => NO_LANE,
            };
            let mut deps: SmallVec<[u32; 4]> = spec.deps().map(|d| d.0).collect();
            deps.sort_unstable();
            deps.dedup();
            state.waiting = deps.len() as u32;
            for d in deps {
                self.dependants[d as usize].push(id);
            }
            rows.push(NodeRow {
                node: id,
                name: spec.name.clone(),
                kind: spec.op.kind(),
                electron: spec.op.target(),
                executor: spec.executor.label(),
                deps: deps_json(&spec),
                parent: spec.parent.map(|p| p.0),
                cacheable: matches!(spec.op, Op::Electron(def) if def.cache),
            });
            if state.waiting == 0 {
                self.ready.push(id);
            }
            self.graph.nodes.push(spec);
            self.nodes.push(state);
            self.dependants.push(SmallVec::new());
        }
        self.unfinished += rows.len();
        self.counts.total = self.graph.len();
        self.shared.store().send(StoreOp::Nodes {
            dispatch: self.id.clone(),
            rows,
        });
        for (id, e) in lane_errors {
            self.ready.retain(|&r| r != id);
            self.fail(id, NodeStatus::Failed, e);
        }
    }
}

/// A node's edges in, as the store keeps them: `[[from, "param"], [from, null], ...]`.
fn deps_json(spec: &NodeSpec) -> String {
    use std::fmt::Write;
    let mut out = String::from("[");
    let mut first = true;
    let mut edge = |out: &mut String, from: u32, param: Option<&str>| {
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        let _ = match param {
            // Parameter names are Rust identifiers: nothing to escape.
            Some(p) => write!(out, "[{from},\"{p}\"]"),
            None => write!(out, "[{from},null]"),
        };
    };
    for (i, a) in spec.args.iter().enumerate() {
        let param = spec.op.param_name(i);
        for d in a.deps() {
            edge(&mut out, d.0, Some(param));
        }
    }
    for d in &spec.after {
        edge(&mut out, d.0, None);
    }
    out.push(']');
    out
}
