//! What an attempt's outcome does to a node: completion (which readies its dependants), a
//! retry with exponential backoff, or failure, which fails or cancels what depends on it.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::state::{Event, Run};
use crate::graph::NodeId;
use crate::status::NodeStatus;
use crate::task::{TaskError, TaskErrorKind};

impl Run {
    pub(super) fn attempt_failed(
        &mut self,
        node: u32,
        e: TaskError,
        (base, max): (Duration, Duration),
    ) {
        let spec = &self.graph.nodes[node as usize];
        let st = &mut self.nodes[node as usize];
        if e.kind.is_retryable() && st.attempts <= spec.retries && !self.cancelled {
            let exp = (st.attempts - 1).min(20);
            let delay = base.saturating_mul(1u32 << exp).min(max);
            tracing::debug!(dispatch = %self.id, node, attempt = st.attempts, ?delay, error = %e, "retrying");
            st.error = Some(e.message);
            self.persist_node(node);
            self.pending_retries += 1;
            let tx = self.tx.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send(Event::Retry { node });
            });
        } else {
            let attempts = st.attempts;
            let msg = if attempts > 1 {
                format!("{} (after {attempts} attempts)", e.message)
            } else {
                e.message
            };
            let status = if e.kind == TaskErrorKind::Cancelled {
                NodeStatus::Cancelled
            } else {
                NodeStatus::Failed
            };
            self.fail(node, status, msg);
        }
    }

    /// Sets a final status and records it.
    pub(super) fn finalize(&mut self, node: u32, status: NodeStatus, error: Option<String>) {
        let st = &mut self.nodes[node as usize];
        if st.status.is_final() {
            return;
        }
        st.status = status;
        st.error = error;
        // A completed task brings its own end time (set by `complete`).
        st.ended.get_or_insert_with(SystemTime::now);
        self.unfinished -= 1;
        match status {
            NodeStatus::Completed => self.counts.completed += 1,
            _ => self.counts.failed += 1,
        }
        self.persist_node(node);
    }

    pub(super) fn complete(&mut self, node: u32, output: Bytes, ended: Option<SystemTime>) {
        let st = &mut self.nodes[node as usize];
        st.output = Some(output);
        st.error = None;
        // Before `finalize`, so that the store records the same end as the result.
        st.ended = ended;
        self.finalize(node, NodeStatus::Completed, None);
        for i in 0..self.dependants[node as usize].len() {
            let d = self.dependants[node as usize][i];
            let ds = &mut self.nodes[d as usize];
            if ds.status == NodeStatus::New || (ds.expanded.is_some() && !ds.status.is_final()) {
                ds.waiting -= 1;
                if ds.waiting == 0 {
                    self.ready.push(d);
                }
            }
        }
    }

    /// Fails (or cancels) a node, and everything that depends on it.
    pub(super) fn fail(&mut self, node: u32, status: NodeStatus, message: String) {
        if self.nodes[node as usize].status.is_final() {
            return;
        }
        self.stop(node);
        self.finalize(node, status, Some(message));
        // A cancelled sub-lattice cancels what it built.
        if status == NodeStatus::Cancelled && self.nodes[node as usize].expanded.is_some() {
            let children: Vec<u32> = (0..self.graph.len() as u32)
                .filter(|&c| self.graph.nodes[c as usize].parent == Some(NodeId(node)))
                .collect();
            for c in children {
                self.fail(
                    c,
                    NodeStatus::Cancelled,
                    "its sub-lattice was cancelled".into(),
                );
            }
        }
        let name = self.graph.nodes[node as usize].name.clone();
        let dependants = self.dependants[node as usize].clone();
        for d in dependants {
            if self.nodes[d as usize].status.is_final() {
                continue;
            }
            let spec = &self.graph.nodes[d as usize];
            if spec.op.kind() == "sublattice"
                && self.graph.nodes[node as usize].parent == Some(NodeId(d))
            {
                let msg = format!("node {node} `{name}` of this sub-lattice {}", verb(status));
                let s = if status == NodeStatus::Cancelled {
                    NodeStatus::Cancelled
                } else {
                    NodeStatus::Failed
                };
                self.fail(d, s, msg);
            } else {
                let (s, msg) = match status {
                    NodeStatus::Cancelled => (
                        NodeStatus::Cancelled,
                        format!("not run: its input node {node} `{name}` was cancelled"),
                    ),
                    _ => (
                        NodeStatus::UpstreamFailed,
                        format!("not run: its input node {node} `{name}` {}", verb(status)),
                    ),
                };
                self.fail(d, s, msg);
            }
        }
    }
}

pub(super) fn verb(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Cancelled => "was cancelled",
        NodeStatus::UpstreamFailed => "did not run",
        _ => "failed",
    }
}

pub(super) fn timed_out(limit: Duration) -> TaskError {
    TaskError::new(
        TaskErrorKind::TimedOut,
        format!(
            "exceeded its time limit of {}",
            humantime::format_duration(limit)
        ),
    )
}
