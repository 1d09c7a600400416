//! Starting a dispatch: the run's state from a workflow (or a stored dispatch to resume), the
//! first rows in the store, and the tokio tasks that drive it and watch for cancel requests.
//! A detached dispatch stops after the rows: its driver is another process.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot, watch};

use super::cancel::poll_cancel_requests;
use super::state::{Event, Reuse, Run, NO_LANE};
use crate::codec;
use crate::dispatch::handle::Dispatch;
use crate::dispatch::progress::Progress;
use crate::dispatch::shared::Shared;
use crate::error::Error;
use crate::graph::registry::LatticeDef;
use crate::graph::workflow::Workflow;
use crate::graph::{Graph, Op};
use crate::store::{DispatchRow, StoreOp, StoredDispatch};

/// How a dispatch begins.
pub(crate) struct Begin {
    /// The stored dispatch this one continues (resume).
    pub(crate) resume: Option<StoredDispatch>,
    /// The earlier dispatch whose completed nodes are reused (a redispatch with reuse on).
    pub(crate) reuse_of: Option<String>,
}

impl Begin {
    /// A new dispatch that reuses nothing.
    pub(crate) fn new() -> Self {
        Begin {
            resume: None,
            reuse_of: None,
        }
    }
}

/// Starts a dispatch of `wf` on the current tokio runtime, driven by this process.
pub(crate) fn start<T>(
    shared: Arc<Shared>,
    id: String,
    wf: Workflow<T>,
    begin: Begin,
) -> Result<Dispatch<T>, Error> {
    let handle =
        tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime { what: "dispatch" })?;
    let (run, rx) = prepare(&shared, id, wf, begin, true)?;
    let id = run.id.clone();
    let (control_tx, control_rx) = mpsc::unbounded_channel();
    let (progress_tx, progress_rx) = watch::channel(Progress::default());
    let (done_tx, done_rx) = oneshot::channel();
    let dispatcher = &shared.config().dispatcher;
    let retry = (dispatcher.retry_delay, dispatcher.retry_delay_max);
    let poller = handle.spawn(poll_cancel_requests(
        shared.store().clone(),
        id.clone(),
        control_tx.clone(),
    ));
    handle.spawn(async move {
        let result = run.drive(rx, control_rx, &progress_tx, retry).await;
        poller.abort();
        let _ = done_tx.send(result);
    });
    Ok(Dispatch::new(id, control_tx, progress_rx, done_rx))
}

/// Stores a new dispatch of `wf` (its row and its nodes, all `NEW`) for a driver of its own:
/// a detached one, which resumes it. The row names no driver until [`StoreOp::Driver`] does.
pub(crate) fn store_detached<T>(
    shared: &Arc<Shared>,
    id: String,
    wf: Workflow<T>,
    begin: Begin,
) -> Result<(), Error> {
    prepare(shared, id, wf, begin, false).map(drop)
}

/// The run's state, with its first rows sent to the store.
fn prepare<T>(
    shared: &Arc<Shared>,
    id: String,
    wf: Workflow<T>,
    begin: Begin,
    driven_here: bool,
) -> Result<(Run, mpsc::UnboundedReceiver<Event>), Error> {
    let id: Arc<str> = Arc::from(id);
    // A resumed redispatch goes on reusing what its first driver could.
    let reuse_of = begin
        .reuse_of
        .or_else(|| begin.resume.as_ref().and_then(|s| s.reuse_of.clone()));
    let earlier = match &reuse_of {
        Some(from) => shared.store().reusable(from)?,
        None => Default::default(),
    };
    let (tx, rx) = mpsc::unbounded_channel();
    let mut run = Run {
        shared: shared.clone(),
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
        reuse: Reuse::new(earlier),
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
            Op::Project { .. } | Op::Assemble { .. } => NO_LANE,
        });
    }
    let inputs_json = inputs_json(wf.lattice, &wf.inputs);
    run.inputs = serde_json::from_str(&inputs_json).unwrap_or_default();
    let program = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string());
    if let Some(stored) = begin.resume {
        if let Some(t) = stored.started {
            run.started = t;
        }
        shared.store().send(StoreOp::Resumed {
            id: id.clone(),
            program,
            driver_pid: std::process::id(),
            driver_host: crate::task::identity::host(),
        });
        run.append(wf.graph, None, Some(lanes));
        run.replay(&stored)?;
    } else {
        shared.store().send(StoreOp::NewDispatch(DispatchRow {
            id: id.clone(),
            lattice: wf.lattice.name.to_owned(),
            inputs: codec::encode(&wf.inputs)?,
            inputs_json,
            output_type: (wf.lattice.output.name)().to_owned(),
            node_count: wf.graph.len(),
            created: run.started,
            program,
            build_id: crate::task::identity::known(),
            driver_pid: driven_here.then(std::process::id),
            driver_host: crate::task::identity::host(),
            reuse_of,
        }));
        run.append(wf.graph, None, Some(lanes));
    }
    Ok((run, rx))
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
