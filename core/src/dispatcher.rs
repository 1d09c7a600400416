//! The dispatcher: runs one dispatch's graph to its end on tokio.
//!
//! One task owns the whole state of a dispatch (no locks): it launches ready nodes on their
//! executors (respecting each executor's concurrency), receives their outcomes on a channel,
//! retries with exponential backoff, enforces time limits, expands sub-lattices when their
//! inputs are known, propagates failures to dependants (which do not run), handles cancels,
//! and sends every state change to the results store's writer thread.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use smallvec::SmallVec;
use tokio::sync::{mpsc, oneshot, watch};

use crate::builder;
use crate::codec;
use crate::error::{Error, NodeFailure};
use crate::executor::{
    Batching, ExecutorContext, ExecutorError, ExecutorRef, ExecutorSel, JobHandle, JobState,
};
use crate::graph::{Arg, Graph, NodeId, NodeSpec, Op};
use crate::registry::LatticeDef;
use crate::result::{DispatchResult, NodeResult, Untyped, Value};
use crate::runtime::Runtime;
use crate::status::{DispatchStatus, NodeStatus};
use crate::store::{DispatchRow, NodeRow, NodeUpdate, StoreOp, StoredDispatch};
use crate::task::{Task, TaskError, TaskErrorKind, TaskOutcome, TaskSpec};
use crate::workflow::Workflow;

/// A request to a running dispatch.
#[derive(Debug)]
pub(crate) enum Control {
    Cancel,
    CancelNodes(Vec<NodeId>),
}

enum Event {
    Done {
        node: u32,
        attempt: u32,
        outcome: TaskOutcome,
    },
    Submitted {
        nodes: Vec<(u32, u32)>,
        jobs: Vec<JobHandle>,
    },
    Retry {
        node: u32,
    },
    Setup {
        lane: usize,
        result: Result<(), ExecutorError>,
    },
}

/// Counts of a running dispatch, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Nodes in the graph so far (sub-lattices add theirs when they are built).
    pub total: usize,
    /// Completed nodes.
    pub completed: usize,
    /// Running nodes.
    pub running: usize,
    /// Failed, upstream-failed and cancelled nodes.
    pub failed: usize,
    /// Whether the dispatch has ended.
    pub done: bool,
}

enum SetupState {
    NotStarted,
    Running,
    Ready,
    Failed(String),
}

struct Lane {
    name: String,
    exec: ExecutorRef,
    limit: usize,
    batching: Batching,
    running: usize,
    queue: VecDeque<u32>,
    setup: SetupState,
}

const NO_LANE: u32 = u32::MAX;

struct NodeState {
    status: NodeStatus,
    waiting: u32,
    lane: u32,
    attempts: u32,
    in_flight: bool,
    output: Option<Bytes>,
    error: Option<String>,
    started: Option<SystemTime>,
    ended: Option<SystemTime>,
    stdout: Option<String>,
    stderr: Option<String>,
    abort: Option<tokio::task::AbortHandle>,
    job: Option<JobHandle>,
    expanded: Option<Arg>,
}

impl NodeState {
    fn new() -> Self {
        NodeState {
            status: NodeStatus::New,
            waiting: 0,
            lane: NO_LANE,
            attempts: 0,
            in_flight: false,
            output: None,
            error: None,
            started: None,
            ended: None,
            stdout: None,
            stderr: None,
            abort: None,
            job: None,
            expanded: None,
        }
    }
}

struct Run {
    rt: Runtime,
    id: Arc<str>,
    lattice: &'static LatticeDef,
    graph: Graph,
    nodes: Vec<NodeState>,
    dependants: Vec<SmallVec<[u32; 2]>>,
    lanes: Vec<Lane>,
    lane_of: HashMap<String, usize>,
    output: Arg,
    tx: mpsc::UnboundedSender<Event>,
    ready: Vec<u32>,
    unfinished: usize,
    pending_retries: usize,
    cancelled: bool,
    counts: Progress,
    started: SystemTime,
    inputs: serde_json::Value,
}

/// A running (or ended) dispatch: wait for it, watch it, cancel it. `T` is its output type.
pub struct Dispatch<T> {
    id: Arc<str>,
    control: mpsc::UnboundedSender<Control>,
    progress: watch::Receiver<Progress>,
    done: oneshot::Receiver<Result<DispatchResult<Untyped>, Error>>,
    _t: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Dispatch<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatch")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<T> Dispatch<T> {
    /// The dispatch id (its key in the results store).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The counts of the dispatch now.
    pub fn progress(&self) -> Progress {
        *self.progress.borrow()
    }

    /// A receiver that changes whenever the counts change.
    pub fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    /// Cancels the whole dispatch: running nodes are stopped, the others never run.
    pub fn cancel(&self) {
        let _ = self.control.send(Control::Cancel);
    }

    /// Cancels chosen nodes (and, so, what depends on them); the rest goes on.
    pub fn cancel_nodes(&self, nodes: impl IntoIterator<Item = NodeId>) {
        let _ = self
            .control
            .send(Control::CancelNodes(nodes.into_iter().collect()));
    }

    /// Waits for the dispatch to end, with every state recorded in the store.
    ///
    /// # Errors
    /// When the store could not record the end (the result is then lost to other processes,
    /// and the error says where the store is).
    pub async fn wait(self) -> Result<DispatchResult<T>, Error> {
        // A progress line on stderr while we wait, in a terminal only (see `progress`).
        let _progress = crate::progress::spawn_display(self.progress.clone(), &self.id);
        match self.done.await {
            Ok(r) => r.map(DispatchResult::typed),
            Err(_) => Err(Error::Lost {
                id: self.id.to_string(),
            }),
        }
    }
}

/// Starts a dispatch of `wf` on the current tokio runtime.
pub(crate) fn start<T>(
    rt: Runtime,
    id: String,
    wf: Workflow<T>,
    resume: Option<StoredDispatch>,
) -> Result<Dispatch<T>, Error> {
    let handle =
        tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime { what: "dispatch" })?;
    let id: Arc<str> = Arc::from(id);
    let (tx, rx) = mpsc::unbounded_channel();
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (progress_tx, progress_rx) = watch::channel(Progress::default());
    let (done_tx, done_rx) = oneshot::channel();
    let dispatcher = &rt.config().dispatcher;
    let retry = (dispatcher.retry_delay, dispatcher.retry_delay_max);

    let mut run = Run {
        rt: rt.clone(),
        id: id.clone(),
        lattice: wf.lattice,
        graph: Graph::default(),
        nodes: Vec::new(),
        dependants: Vec::new(),
        lanes: Vec::new(),
        lane_of: HashMap::new(),
        output: wf.output,
        tx,
        ready: Vec::new(),
        unfinished: 0,
        pending_retries: 0,
        cancelled: false,
        counts: Progress::default(),
        started: SystemTime::now(),
        inputs: serde_json::Value::Null,
    };
    // Resolve every executor before anything is stored: an unknown name is the caller's error.
    let mut lanes = Vec::with_capacity(wf.graph.len());
    for spec in &wf.graph.nodes {
        lanes.push(match spec.op {
            Op::Electron(_) => run.lane(&spec.executor)? as u32,
            Op::Lattice(_) => {
                // The default a sub-lattice gives its electrons: a typo fails the dispatch now,
                // not when the sub-lattice is built.
                run.lane(&spec.executor)?;
                NO_LANE
            }
            Op::Project { .. } => NO_LANE,
        });
    }
    let inputs_json = inputs_json(wf.lattice, &wf.inputs);
    run.inputs = serde_json::from_str(&inputs_json).unwrap_or_default();
    let program = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string());
    if let Some(stored) = resume {
        if let Some(t) = stored.started {
            run.started = t;
        }
        rt.store().send(StoreOp::Resumed {
            id: id.clone(),
            program,
            driver_pid: std::process::id(),
            driver_host: crate::identity::host(),
        });
        run.append(wf.graph, None, Some(lanes));
        run.replay(&stored)?;
    } else {
        rt.store().send(StoreOp::NewDispatch(DispatchRow {
            id: id.clone(),
            lattice: wf.lattice.name.to_owned(),
            inputs: codec::encode(&wf.inputs)?,
            inputs_json,
            output_type: (wf.lattice.output.name)().to_owned(),
            node_count: wf.graph.len(),
            created: run.started,
            program,
            build_id: crate::identity::known(),
            driver_pid: std::process::id(),
            driver_host: crate::identity::host(),
        }));
        run.append(wf.graph, None, Some(lanes));
    }
    let poller = handle.spawn(poll_cancel_requests(
        rt.clone(),
        id.clone(),
        control_tx.clone(),
    ));
    handle.spawn(async move {
        let result = run.drive(rx, control_rx, &progress_tx, retry).await;
        poller.abort();
        let _ = done_tx.send(result);
    });
    Ok(Dispatch {
        id,
        control: control_tx,
        progress: progress_rx,
        done: done_rx,
        _t: std::marker::PhantomData,
    })
}

/// The inputs as JSON for people; an input too large to render is shown by its size (the
/// encoded inputs are stored whole either way).
fn inputs_json(lattice: &LatticeDef, inputs: &[Bytes]) -> String {
    const MAX_RENDERED: usize = 1 << 20;
    let mut map = serde_json::Map::new();
    for (p, b) in lattice.params.iter().zip(inputs) {
        let value = if b.len() > MAX_RENDERED {
            serde_json::Value::String(format!("<{} bytes, not rendered>", b.len()))
        } else {
            (p.ty.to_json)(b).unwrap_or(serde_json::Value::Null)
        };
        map.insert(p.name.to_owned(), value);
    }
    serde_json::Value::Object(map).to_string()
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

impl Run {
    /// The lane (executor) a node selection runs on, created on first use.
    fn lane(&mut self, sel: &ExecutorSel) -> Result<usize, Error> {
        let key = match sel {
            ExecutorSel::Named(n) => n.to_string(),
            ExecutorSel::Value(e) => format!("{}@{:p}", e.kind(), Arc::as_ptr(e)),
        };
        if let Some(&i) = self.lane_of.get(&key) {
            return Ok(i);
        }
        let exec = match sel {
            ExecutorSel::Named(n) => self.rt.executor(n)?,
            ExecutorSel::Value(e) => e.clone(),
        };
        let i = self.lanes.len();
        self.lanes.push(Lane {
            name: sel.label(),
            limit: exec.max_concurrency().unwrap_or(usize::MAX).max(1),
            batching: exec.batching(),
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
    fn append(&mut self, graph: Graph, parent: Option<u32>, lanes: Option<Vec<u32>>) {
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
        self.rt.store().send(StoreOp::Nodes {
            dispatch: self.id.clone(),
            rows,
        });
        for (id, e) in lane_errors {
            self.ready.retain(|&r| r != id);
            self.fail(id, NodeStatus::Failed, e);
        }
    }

    /// Brings a rebuilt graph to the state a stored dispatch reached: sub-lattices that were
    /// built are built again (in the same order, so node ids line up), and completed nodes take
    /// their stored outputs instead of running again.
    fn replay(&mut self, stored: &StoredDispatch) -> Result<(), Error> {
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

    async fn drive(
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

    fn active(&self) -> usize {
        let lanes: usize = self
            .lanes
            .iter()
            .map(|l| {
                l.running + l.queue.len() + usize::from(matches!(l.setup, SetupState::Running))
            })
            .sum();
        lanes + self.pending_retries + self.ready.len()
    }

    fn event(&mut self, ev: Event, retry: (Duration, Duration)) {
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

    fn attempt_failed(&mut self, node: u32, e: TaskError, (base, max): (Duration, Duration)) {
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

    fn control(&mut self, c: Control) {
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
    fn stop(&mut self, node: u32) {
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

    /// Sets a final status and records it.
    fn finalize(&mut self, node: u32, status: NodeStatus, error: Option<String>) {
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

    fn complete(&mut self, node: u32, output: Bytes, ended: Option<SystemTime>) {
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
    fn fail(&mut self, node: u32, status: NodeStatus, message: String) {
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

    fn value_of(&self, arg: &Arg) -> Bytes {
        let out = |id: &NodeId| self.nodes[id.0 as usize].output.clone().unwrap_or_default();
        match arg {
            Arg::Const(b) => b.clone(),
            Arg::Node(id) => out(id),
            Arg::Collect(ids) => {
                let parts: Vec<Bytes> = ids.iter().map(out).collect();
                codec::encode_seq(parts.iter())
            }
        }
    }

    fn launch_ready(&mut self) {
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
                Op::Electron(_) => {
                    self.nodes[node as usize].status = NodeStatus::Running;
                    self.enqueue(node);
                }
                Op::Project { project, .. } => {
                    let input = self.value_of(&spec.args[0]);
                    let st = &mut self.nodes[node as usize];
                    st.started = Some(SystemTime::now());
                    st.attempts = 1;
                    match project(&input) {
                        Ok(out) => self.complete(node, out, None),
                        Err(e) => self.fail(node, NodeStatus::Failed, e.to_string()),
                    }
                }
                Op::Lattice(def) => self.expand(node, def),
            }
        }
    }

    fn enqueue(&mut self, node: u32) {
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
    fn pump(&mut self) {
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
    fn task(&mut self, node: u32) -> Task {
        let spec = &self.graph.nodes[node as usize];
        let Op::Electron(def) = spec.op else {
            unreachable!("only electrons are queued")
        };
        let args: Vec<Bytes> = spec.args.iter().map(|a| self.value_of(a)).collect();
        let time_limit = spec.time_limit;
        let st = &mut self.nodes[node as usize];
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
            },
            electron: def,
        };
        self.persist_node(node);
        task
    }

    fn spawn_one(&mut self, lane: usize, node: u32, task: Task) {
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

    fn spawn_batch(&mut self, lane: usize, tasks: Vec<(u32, Task)>, poll_interval: Duration) {
        let exec = self.lanes[lane].exec.clone();
        tokio::spawn(drive_batch(exec, self.tx.clone(), tasks, poll_interval));
    }

    /// Builds a sub-lattice now that its inputs are known, and splices its nodes in.
    fn expand(&mut self, node: u32, def: &'static LatticeDef) {
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

    fn persist_node(&self, node: u32) {
        let st = &self.nodes[node as usize];
        let spec = &self.graph.nodes[node as usize];
        self.rt.store().send(StoreOp::Node(NodeUpdate {
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
        }));
    }

    fn persist_dispatch(
        &self,
        status: DispatchStatus,
        ended: Option<SystemTime>,
        output: Option<Bytes>,
        error: Option<String>,
    ) {
        self.rt.store().send(StoreOp::DispatchState {
            id: self.id.clone(),
            status,
            started: Some(self.started),
            ended,
            output: output.map(|b| (b, self.lattice.output)),
            error,
            node_count: self.graph.len(),
        });
    }

    async fn finish(
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
        let flushed = self.rt.store().flush().await;
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

fn verb(status: NodeStatus) -> &'static str {
    match status {
        NodeStatus::Cancelled => "was cancelled",
        NodeStatus::UpstreamFailed => "did not run",
        _ => "failed",
    }
}

fn timed_out(limit: Duration) -> TaskError {
    TaskError::new(
        TaskErrorKind::TimedOut,
        format!(
            "exceeded its time limit of {}",
            humantime::format_duration(limit)
        ),
    )
}

/// One submitted task of a batch, until its outcome is sent.
struct BatchJob {
    node: u32,
    attempt: u32,
    limit: Option<Duration>,
    job: JobHandle,
    /// When a poll first saw the job running: its time limit counts from there (time waiting
    /// in a queue is not running time).
    running_since: Option<tokio::time::Instant>,
}

/// Submits a batch, polls it (one call for all its jobs) until every job is done or over its
/// time limit (counted from when the job was first seen running), and sends each outcome to
/// the dispatcher.
async fn drive_batch(
    exec: ExecutorRef,
    tx: mpsc::UnboundedSender<Event>,
    tasks: Vec<(u32, Task)>,
    poll_interval: Duration,
) {
    let started = SystemTime::now();
    let done = |node: u32, attempt: u32, result: Result<Bytes, TaskError>| {
        let _ = tx.send(Event::Done {
            node,
            attempt,
            outcome: TaskOutcome::new(result, started),
        });
    };
    let ids: Vec<(u32, u32, Option<Duration>)> = tasks
        .iter()
        .map(|(n, t)| (*n, t.spec.attempt, t.spec.time_limit))
        .collect();
    let jobs = match exec
        .submit(tasks.into_iter().map(|(_, t)| t).collect())
        .await
    {
        Ok(jobs) if jobs.len() == ids.len() => jobs,
        other => {
            let e = match other {
                Ok(jobs) => TaskError::executor(format!(
                    "submitted {} tasks but the executor returned {} job handles",
                    ids.len(),
                    jobs.len()
                )),
                Err(e) => TaskError::executor(e.to_string()),
            };
            for (node, attempt, _) in ids {
                done(node, attempt, Err(e.clone()));
            }
            return;
        }
    };
    let _ = tx.send(Event::Submitted {
        nodes: ids.iter().map(|(n, a, _)| (*n, *a)).collect(),
        jobs: jobs.clone(),
    });
    let mut pending: Vec<BatchJob> = ids
        .into_iter()
        .zip(jobs)
        .map(|((node, attempt, limit), job)| BatchJob {
            node,
            attempt,
            limit,
            job,
            running_since: None,
        })
        .collect();
    let mut poll_errors = 0;
    while !pending.is_empty() {
        tokio::time::sleep(poll_interval).await;
        if tx.is_closed() {
            return;
        }
        let handles: Vec<JobHandle> = pending.iter().map(|p| p.job.clone()).collect();
        let states = match exec.poll(&handles).await {
            Ok(s) if s.len() == handles.len() => {
                poll_errors = 0;
                s
            }
            other => {
                poll_errors += 1;
                tracing::warn!(attempt = poll_errors, error = ?other.err(), "polling a batch failed");
                if poll_errors >= 5 {
                    let e = TaskError::executor("polling the executor failed 5 times in a row");
                    for p in pending.drain(..) {
                        done(p.node, p.attempt, Err(e.clone()));
                    }
                }
                continue;
            }
        };
        let mut still = Vec::with_capacity(pending.len());
        for (mut p, state) in pending.into_iter().zip(states) {
            if state == JobState::Running && p.running_since.is_none() {
                p.running_since = Some(tokio::time::Instant::now());
            }
            if state == JobState::Done {
                let outcome = match exec.collect(&p.job).await {
                    Ok(o) => o,
                    Err(e) => TaskOutcome::new(Err(TaskError::executor(e.to_string())), started),
                };
                let _ = tx.send(Event::Done {
                    node: p.node,
                    attempt: p.attempt,
                    outcome,
                });
            } else if let Some(limit) = p
                .limit
                .filter(|l| p.running_since.is_some_and(|t| t.elapsed() > *l))
            {
                if let Err(e) = exec.cancel(&p.job).await {
                    tracing::warn!(error = %e, "could not cancel a job over its time limit");
                }
                done(p.node, p.attempt, Err(timed_out(limit)));
            } else {
                still.push(p);
            }
        }
        pending = still;
    }
}

/// Forwards cancel requests made from other processes (`orbital cancel`) to the dispatcher.
async fn poll_cancel_requests(rt: Runtime, id: Arc<str>, control: mpsc::UnboundedSender<Control>) {
    const EVERY: Duration = Duration::from_millis(250);
    let store = rt.store().clone();
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
