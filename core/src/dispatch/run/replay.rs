//! Resuming: a rebuilt graph brought to the state a stored dispatch had reached.

use bytes::Bytes;

use super::state::Run;
use crate::error::Error;
use crate::graph::Op;
use crate::status::NodeStatus;
use crate::store::StoredDispatch;

impl Run {
    /// Brings a rebuilt graph to the state a stored dispatch reached: sub-lattices that were
    /// built are built again (in the same order, so node ids line up), and completed nodes take
    /// their stored outputs instead of running again.
    pub(super) fn replay(&mut self, stored: &StoredDispatch) -> Result<(), Error> {
        let id = self.id.to_string();
        let mismatch = |what: String| {
            Error::Resume {
            id: id.clone(),
            message: format!(
                "{what}: the program builds this lattice differently from the one that dispatched it; \
                 resume it with the program that dispatched it ({})",
                stored.program.as_deref().unwrap_or("unknown")
            ),
        }
        };
        for sn in &stored.nodes {
            while sn.id as usize >= self.graph.len() {
                let Some(parent) = sn.parent.filter(|p| (*p as usize) < self.graph.len()) else {
                    return Err(mismatch(format!(
                        "stored node {} `{}` has no parent to rebuild it",
                        sn.id, sn.name
                    )));
                };
                let Op::Lattice(def) = self.graph.nodes[parent as usize].op else {
                    return Err(mismatch(format!(
                        "stored node {parent} is not a sub-lattice"
                    )));
                };
                let before = self.graph.len();
                self.ready.retain(|&r| r != parent);
                self.expand(parent, def);
                if self.graph.len() == before {
                    return Err(mismatch(format!(
                        "sub-lattice node {parent} `{}` built nothing",
                        def.fn_name
                    )));
                }
            }
            let name = &self.graph.nodes[sn.id as usize].name;
            if *name != sn.name {
                return Err(mismatch(format!(
                    "node {} is `{name}` now but was `{}`",
                    sn.id, sn.name
                )));
            }
            if sn.status == NodeStatus::Completed {
                if let Some(out) = &sn.output {
                    let st = &mut self.nodes[sn.id as usize];
                    st.attempts = sn.attempts;
                    st.started = sn.started;
                    st.stdout = sn.stdout.clone();
                    st.stderr = sn.stderr.clone();
                    self.complete(sn.id, Bytes::from(out.clone()), sn.ended);
                }
            }
        }
        if self.graph.len() != stored.nodes.len() {
            return Err(mismatch(format!(
                "the graph has {} nodes now but had {}",
                self.graph.len(),
                stored.nodes.len()
            )));
        }
        Ok(())
    }
}
