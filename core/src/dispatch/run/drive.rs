//! The loop that drives a run: launch what is ready, wait for an event or a control request,
//! apply it, until every node has ended.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::state::{Event, Run, SetupState};
use crate::dispatch::handle::Control;
use crate::dispatch::progress::Progress;
use crate::dispatch::result::{DispatchResult, Untyped};
use crate::error::Error;
use crate::status::{DispatchStatus, NodeStatus};

impl Run {
    pub(super) async fn drive(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Event>,
        mut control: mpsc::UnboundedReceiver<Control>,
        progress: &watch::Sender<Progress>,
        retry: (Duration, Duration),
    ) -> Result<DispatchResult<Untyped>, Error> {
        self.persist_dispatch(DispatchStatus::Running, None, None, None);
        let mut control_open = true;
        loop {
            self.launch_ready();
            self.pump();
            if self.unfinished == 0 {
                break;
            }
            if self.active() == 0 {
                // Nothing can make progress: a bug, but never a hang.
                let stuck: Vec<u32> = (0..self.nodes.len() as u32)
                    .filter(|&n| !self.nodes[n as usize].status.is_final())
                    .collect();
                for n in stuck {
                    self.finalize(
                        n,
                        NodeStatus::Failed,
                        Some("internal error: the node never became ready".into()),
                    );
                }
                break;
            }
            progress.send_replace(self.counts);
            tokio::select! {
                biased;
                c = control.recv(), if control_open => match c {
                    Some(c) => self.control(c),
                    None => control_open = false,
                },
                ev = rx.recv() => {
                    let Some(ev) = ev else { break };
                    self.event(ev, retry);
                    // Take everything already waiting before launching more.
                    while let Ok(ev) = rx.try_recv() {
                        self.event(ev, retry);
                    }
                }
            }
        }
        self.finish(progress).await
    }

    pub(super) fn active(&self) -> usize {
        let lanes: usize = self
            .lanes
            .iter()
            .map(|l| {
                l.running + l.queue.len() + usize::from(matches!(l.setup, SetupState::Running))
            })
            .sum();
        lanes + self.pending_retries + self.ready.len()
    }

    pub(super) fn event(&mut self, ev: Event, retry: (Duration, Duration)) {
        match ev {
            Event::Done {
                node,
                attempt,
                outcome,
            } => {
                let st = &mut self.nodes[node as usize];
                if !st.in_flight || st.attempts != attempt || st.status.is_final() {
                    return; // cancelled meanwhile, or a stale attempt
                }
                st.in_flight = false;
                st.abort = None;
                st.job = None;
                st.started = Some(outcome.started);
                st.stdout = outcome.stdout;
                st.stderr = outcome.stderr;
                // A step after a successful call failed: the node fails, its output is kept.
                if outcome.kept_output.is_some() {
                    st.output = outcome.kept_output;
                }
                let lane = st.lane as usize;
                if let Some(l) = self.lanes.get_mut(lane) {
                    l.running -= 1;
                }
                self.counts.running -= 1;
                match outcome.result {
                    Ok(bytes) => self.complete(node, bytes, Some(outcome.ended)),
                    Err(e) => self.attempt_failed(node, e, retry),
                }
            }
            Event::Submitted { nodes, jobs } => {
                for ((node, attempt), job) in nodes.into_iter().zip(jobs) {
                    let st = &mut self.nodes[node as usize];
                    if st.in_flight && st.attempts == attempt {
                        st.job = Some(job);
                    } else {
                        let exec = self.lanes[st.lane as usize].exec.clone();
                        tokio::spawn(async move { exec.cancel(&job).await });
                    }
                }
            }
            Event::Retry { node } => {
                self.pending_retries -= 1;
                if self.nodes[node as usize].status == NodeStatus::Running && !self.cancelled {
                    self.enqueue(node);
                }
            }
            Event::Setup { lane, result } => {
                let l = &mut self.lanes[lane];
                match result {
                    Ok(()) => l.setup = SetupState::Ready,
                    Err(e) => {
                        let msg = format!("setting up executor `{}` failed: {e}", l.name);
                        l.setup = SetupState::Failed(msg.clone());
                        let queued: Vec<u32> = l.queue.drain(..).collect();
                        for n in queued {
                            self.fail(n, NodeStatus::Failed, msg.clone());
                        }
                    }
                }
            }
        }
    }
}
