//! Recording a run: each node's state as it changes, and at the end the executors' teardown,
//! the dispatch's final state, and the result handed to whoever waits.

use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::watch;

use super::state::{Run, SetupState};
use crate::dispatch::progress::Progress;
use crate::dispatch::result::{DispatchResult, NodeResult, Untyped, Value};
use crate::error::{Error, NodeFailure};
use crate::executor::ExecutorContext;
use crate::graph::NodeId;
use crate::status::{DispatchStatus, NodeStatus};
use crate::store::{NodeUpdate, StoreOp};

impl Run {
    pub(super) fn persist_node(&self, node: u32) {
        let st = &self.nodes[node as usize];
        let spec = &self.graph.nodes[node as usize];
        self.shared.store().send(StoreOp::Node(NodeUpdate {
            dispatch: self.id.clone(),
            node,
            status: st.status,
            output: st.output.clone().map(|b| (b, spec.op.output())),
            error: st.error.clone(),
            started: st.started,
            ended: st.ended,
            attempts: st.attempts,
            stdout: st.stdout.clone(),
            stderr: st.stderr.clone(),
            cache_key: st.key,
            reused_from: st.reused_from.clone(),
        }));
    }

    pub(super) fn persist_dispatch(
        &self,
        status: DispatchStatus,
        ended: Option<SystemTime>,
        output: Option<Bytes>,
        error: Option<String>,
    ) {
        self.shared.store().send(StoreOp::DispatchState {
            id: self.id.clone(),
            status,
            started: Some(self.started),
            ended,
            output: output.map(|b| (b, self.lattice.output)),
            error,
            node_count: self.graph.len(),
        });
    }

    pub(super) async fn finish(
        mut self,
        progress: &watch::Sender<Progress>,
    ) -> Result<DispatchResult<Untyped>, Error> {
        // Teardown of every executor that was set up for this dispatch.
        for l in &self.lanes {
            if matches!(l.setup, SetupState::Ready) {
                let ctx = ExecutorContext {
                    name: l.name.clone(),
                    dispatch_id: self.id.to_string(),
                };
                if let Err(e) = l.exec.teardown(&ctx).await {
                    tracing::warn!(dispatch = %self.id, error = %e, "executor teardown failed");
                }
            }
        }
        let output_ready = self
            .output
            .deps()
            .iter()
            .all(|d| self.nodes[d.0 as usize].status == NodeStatus::Completed);
        let output = output_ready.then(|| self.value_of(&self.output));
        let failed: Vec<NodeFailure> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, s)| s.status == NodeStatus::Failed)
            .map(|(i, s)| NodeFailure {
                node: i as u32,
                name: self.graph.nodes[i].name.clone(),
                error: s.error.clone().unwrap_or_default(),
            })
            .collect();
        let any_cancelled =
            self.cancelled || self.nodes.iter().any(|s| s.status == NodeStatus::Cancelled);
        let status = if !failed.is_empty()
            || self
                .nodes
                .iter()
                .any(|s| s.status == NodeStatus::UpstreamFailed)
        {
            DispatchStatus::Failed
        } else if any_cancelled {
            DispatchStatus::Cancelled
        } else {
            DispatchStatus::Completed
        };
        let error = match status {
            DispatchStatus::Completed => None,
            DispatchStatus::Cancelled => Some("the dispatch was cancelled".to_owned()),
            _ => Some(
                failed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        let ended = SystemTime::now();
        self.persist_dispatch(status, Some(ended), output.clone(), error.clone());
        let flushed = self.shared.store().flush().await;
        self.counts.done = true;
        progress.send_replace(self.counts);
        flushed?;
        let lattice_output = self.lattice.output;
        let nodes = std::mem::take(&mut self.nodes);
        let graph = std::mem::take(&mut self.graph);
        let nodes: Vec<NodeResult> = nodes
            .into_iter()
            .zip(graph.nodes)
            .enumerate()
            .map(|(i, (st, spec))| NodeResult {
                id: NodeId(i as u32),
                kind: spec.op.kind().to_owned(),
                electron: spec.op.target().to_owned(),
                executor: spec.executor.label(),
                status: st.status,
                output: st.output.map(|b| Value::Encoded(b, spec.op.output())),
                error: st.error,
                started: st.started,
                ended: st.ended,
                attempts: st.attempts,
                parent: spec.parent,
                stdout: st.stdout,
                stderr: st.stderr,
                reused_from: st.reused_from.map(|(d, n)| (d.to_string(), n)),
                name: spec.name,
            })
            .collect();
        Ok(DispatchResult {
            id: self.id.to_string(),
            lattice: self.lattice.name.to_owned(),
            status,
            inputs: Some(std::mem::take(&mut self.inputs)),
            output: output.map(|b| Value::Encoded(b, lattice_output)),
            output_type: (lattice_output.name)().to_owned(),
            error,
            created: Some(self.started),
            started: Some(self.started),
            ended: Some(ended),
            nodes,
            _t: std::marker::PhantomData,
        })
    }
}
