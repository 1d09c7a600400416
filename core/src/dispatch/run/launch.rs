//! Launching ready nodes: electrons are queued on their lane (whose executor is set up on first
//! use) and started up to its concurrency, one by one or in batches; projections run here.

use std::time::{Duration, SystemTime};

use bytes::Bytes;

use super::batch::drive_batch;
use super::outcome::timed_out;
use super::reuse::reuse_key;
use super::state::{Event, Run, SetupState};
use crate::codec;
use crate::executor::{Batching, ExecutorContext};
use crate::graph::{Arg, NodeId, Op};
use crate::status::NodeStatus;
use crate::task::{Task, TaskOutcome, TaskSpec};

impl Run {
    pub(super) fn value_of(&self, arg: &Arg) -> Bytes {
        arg.value(&|id: NodeId| self.nodes[id.0 as usize].output.clone().unwrap_or_default())
    }

    pub(super) fn launch_ready(&mut self) {
        while let Some(node) = self.ready.pop() {
            if self.cancelled || self.nodes[node as usize].status.is_final() {
                continue;
            }
            if let Some(arg) = self.nodes[node as usize].expanded.clone() {
                let out = self.value_of(&arg);
                self.complete(node, out, None);
                continue;
            }
            let spec = &self.graph.nodes[node as usize];
            match spec.op {
                Op::Electron(def) => {
                    if self.try_reuse(node, def) {
                        continue;
                    }
                    self.nodes[node as usize].status = NodeStatus::Running;
                    self.enqueue(node);
                }
                Op::Project { project, .. } => {
                    let input = self.value_of(&spec.args[0]);
                    self.compute(node, project(&input));
                }
                Op::Assemble { assemble, .. } => {
                    let mut fields = Vec::new();
                    let output_of =
                        |id: NodeId| self.nodes[id.0 as usize].output.clone().unwrap_or_default();
                    for arg in &spec.args {
                        fields.extend_from_slice(&arg.value(&output_of));
                    }
                    self.compute(node, assemble(&fields));
                }
                Op::Lattice(def) => self.expand(node, def),
            }
        }
    }

    /// Completes (or fails) a node computed here, in the dispatcher.
    fn compute(&mut self, node: u32, out: Result<Bytes, codec::CodecError>) {
        let st = &mut self.nodes[node as usize];
        st.started = Some(SystemTime::now());
        st.attempts = 1;
        match out {
            Ok(out) => self.complete(node, out, None),
            Err(e) => self.fail(node, NodeStatus::Failed, e.to_string()),
        }
    }

    pub(super) fn enqueue(&mut self, node: u32) {
        let lane = self.nodes[node as usize].lane as usize;
        let l = &mut self.lanes[lane];
        if let SetupState::Failed(msg) = &l.setup {
            let msg = msg.clone();
            self.fail(node, NodeStatus::Failed, msg);
            return;
        }
        l.queue.push_back(node);
        if matches!(l.setup, SetupState::NotStarted) {
            l.setup = SetupState::Running;
            let exec = l.exec.clone();
            let ctx = ExecutorContext {
                name: l.name.clone(),
                dispatch_id: self.id.to_string(),
            };
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let result = exec.setup(&ctx).await;
                let _ = tx.send(Event::Setup { lane, result });
            });
        }
    }

    /// Starts queued tasks up to each lane's concurrency.
    pub(super) fn pump(&mut self) {
        for lane in 0..self.lanes.len() {
            if !matches!(self.lanes[lane].setup, SetupState::Ready) {
                continue;
            }
            match self.lanes[lane].batching {
                Batching::None => {
                    while self.lanes[lane].running < self.lanes[lane].limit {
                        let Some(node) = self.lanes[lane].queue.pop_front() else {
                            break;
                        };
                        let task = self.task(node);
                        self.lanes[lane].running += 1;
                        self.spawn_one(lane, node, task);
                    }
                }
                Batching::Batch {
                    max_batch,
                    poll_interval,
                } => {
                    while self.lanes[lane].running < self.lanes[lane].limit
                        && !self.lanes[lane].queue.is_empty()
                    {
                        let room = (self.lanes[lane].limit - self.lanes[lane].running)
                            .min(max_batch.max(1));
                        let take = room.min(self.lanes[lane].queue.len());
                        let nodes: Vec<u32> = self.lanes[lane].queue.drain(..take).collect();
                        let tasks: Vec<(u32, Task)> =
                            nodes.iter().map(|&n| (n, self.task(n))).collect();
                        self.lanes[lane].running += take;
                        self.spawn_batch(lane, tasks, poll_interval);
                    }
                }
            }
        }
    }

    /// Marks a node's next attempt as started and builds its task.
    pub(super) fn task(&mut self, node: u32) -> Task {
        let spec = &self.graph.nodes[node as usize];
        let Op::Electron(def) = spec.op else {
            unreachable!("only electrons are queued")
        };
        let args: Vec<Bytes> = spec.args.iter().map(|a| self.value_of(a)).collect();
        let time_limit = spec.time_limit;
        let st = &mut self.nodes[node as usize];
        let lane = &self.lanes[st.lane as usize];
        let (executor, workdir) = (lane.name.clone(), lane.workdir.clone());
        st.key.get_or_insert_with(|| reuse_key(def, &args));
        st.attempts += 1;
        st.in_flight = true;
        st.started = Some(SystemTime::now());
        self.counts.running += 1;
        let task = Task {
            spec: TaskSpec {
                dispatch_id: self.id.to_string(),
                node_id: node,
                electron: def.name.to_owned(),
                build_id: String::new(),
                args,
                attempt: st.attempts,
                time_limit,
                executor,
                workdir,
            },
            electron: def,
        };
        self.persist_node(node);
        task
    }

    pub(super) fn spawn_one(&mut self, lane: usize, node: u32, task: Task) {
        let exec = self.lanes[lane].exec.clone();
        let tx = self.tx.clone();
        let attempt = task.spec.attempt;
        let limit = task.spec.time_limit;
        let handle = tokio::spawn(async move {
            let started = SystemTime::now();
            let outcome = match limit {
                Some(d) => match tokio::time::timeout(d, exec.run(task)).await {
                    Ok(o) => o,
                    Err(_) => TaskOutcome::new(Err(timed_out(d)), started),
                },
                None => exec.run(task).await,
            };
            let _ = tx.send(Event::Done {
                node,
                attempt,
                outcome,
            });
        });
        self.nodes[node as usize].abort = Some(handle.abort_handle());
    }

    pub(super) fn spawn_batch(
        &mut self,
        lane: usize,
        tasks: Vec<(u32, Task)>,
        poll_interval: Duration,
    ) {
        let exec = self.lanes[lane].exec.clone();
        tokio::spawn(drive_batch(exec, self.tx.clone(), tasks, poll_interval));
    }
}
