//! Sub-lattices: built when their inputs are known, their nodes spliced into the run.

use std::time::SystemTime;

use bytes::Bytes;

use super::outcome::verb;
use super::state::Run;
use crate::graph::builder;
use crate::graph::registry::LatticeDef;
use crate::status::NodeStatus;

impl Run {
    /// Builds a sub-lattice now that its inputs are known, and splices its nodes in.
    pub(super) fn expand(&mut self, node: u32, def: &'static LatticeDef) {
        let spec = &self.graph.nodes[node as usize];
        let args: Vec<Bytes> = spec.args.iter().map(|a| self.value_of(a)).collect();
        let default = spec.executor.clone();
        let st = &mut self.nodes[node as usize];
        st.status = NodeStatus::Running;
        st.started = Some(SystemTime::now());
        st.attempts = 1;
        self.persist_node(node);
        let (graph, mut output) = match builder::build_lattice(def, default, args) {
            Ok(built) => built,
            Err(e) => return self.fail(node, NodeStatus::Failed, e),
        };
        let base = self.graph.len() as u32;
        let n = graph.len() as u32;
        output.offset(base);
        self.append(graph, Some(node), None);
        let st = &mut self.nodes[node as usize];
        st.expanded = Some(output);
        // The sub-lattice node ends when everything it built has. A node that failed while it
        // was added (an unknown executor) fails it now: its output would be missing.
        let mut waiting = 0;
        let mut failed_child = None;
        for c in base..base + n {
            let status = self.nodes[c as usize].status;
            if !status.is_final() {
                self.dependants[c as usize].push(node);
                waiting += 1;
            } else if status != NodeStatus::Completed && failed_child.is_none() {
                failed_child = Some((c, status));
            }
        }
        if let Some((c, status)) = failed_child {
            let name = &self.graph.nodes[c as usize].name;
            let msg = format!("node {c} `{name}` of this sub-lattice {}", verb(status));
            return self.fail(node, NodeStatus::Failed, msg);
        }
        self.nodes[node as usize].waiting = waiting;
        if waiting == 0 {
            self.ready.push(node);
        }
    }
}
