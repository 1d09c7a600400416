//! Cancel requests: from the [`Dispatch`](crate::Dispatch) handle, or from another process
//! through the store (`orbital cancel`); stopping a node's running task.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::state::Run;
use crate::dispatch::handle::Control;
use crate::graph::NodeId;
use crate::status::NodeStatus;
use crate::store::Store;

impl Run {
    pub(super) fn control(&mut self, c: Control) {
        match c {
            Control::Cancel => {
                self.cancelled = true;
                for n in 0..self.nodes.len() as u32 {
                    if !self.nodes[n as usize].status.is_final() {
                        self.stop(n);
                        self.finalize(
                            n,
                            NodeStatus::Cancelled,
                            Some("the dispatch was cancelled".into()),
                        );
                    }
                }
                self.ready.clear();
                self.lanes.iter_mut().for_each(|l| l.queue.clear());
            }
            Control::CancelNodes(ids) => {
                for id in ids {
                    if (id.0 as usize) < self.nodes.len()
                        && !self.nodes[id.0 as usize].status.is_final()
                    {
                        self.fail(id.0, NodeStatus::Cancelled, "cancelled".into());
                    }
                }
            }
        }
    }

    /// Stops a node's running task, if any.
    pub(super) fn stop(&mut self, node: u32) {
        let st = &mut self.nodes[node as usize];
        if let Some(a) = st.abort.take() {
            a.abort();
        }
        if let Some(job) = st.job.take() {
            let exec = self.lanes[st.lane as usize].exec.clone();
            tokio::spawn(async move {
                if let Err(e) = exec.cancel(&job).await {
                    tracing::warn!(error = %e, "could not cancel a job");
                }
            });
        }
        if st.in_flight {
            st.in_flight = false;
            if let Some(l) = self.lanes.get_mut(st.lane as usize) {
                l.running -= 1;
            }
            self.counts.running -= 1;
        }
        let lane = st.lane;
        if let Some(l) = self.lanes.get_mut(lane as usize) {
            l.queue.retain(|&q| q != node);
        }
        self.ready.retain(|&r| r != node);
    }
}

/// Forwards cancel requests made from other processes (`orbital cancel`) to the dispatcher.
pub(super) async fn poll_cancel_requests(
    store: Store,
    id: Arc<str>,
    control: mpsc::UnboundedSender<Control>,
) {
    const EVERY: Duration = Duration::from_millis(250);
    let mut conn = match store.poll_connection() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch for cancel requests");
            return;
        }
    };
    loop {
        tokio::time::sleep(EVERY).await;
        let (store2, id2) = (store.clone(), id.clone());
        let polled = tokio::task::spawn_blocking(move || {
            let r = store2.take_cancel_requests(&conn, &id2);
            (conn, r)
        })
        .await;
        let Ok((c, requests)) = polled else { return };
        conn = c;
        match requests {
            Ok(reqs) => {
                if reqs.iter().any(Option::is_none) {
                    let _ = control.send(Control::Cancel);
                }
                let nodes: Vec<NodeId> = reqs.into_iter().flatten().map(NodeId).collect();
                if !nodes.is_empty() {
                    let _ = control.send(Control::CancelNodes(nodes));
                }
            }
            Err(e) => tracing::debug!(error = %e, "reading cancel requests failed"),
        }
        if control.is_closed() {
            return;
        }
    }
}
