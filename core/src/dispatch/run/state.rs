//! The state of one running dispatch: its graph as built so far, each node's state, the lanes
//! (one per executor) with their queues, and the events that tasks send back. One tokio task
//! owns it all (no locks); the other files of this folder are its `impl` blocks, by concern.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use tokio::sync::mpsc;

use crate::dispatch::progress::Progress;
use crate::dispatch::shared::Shared;
use crate::executor::{Batching, ExecutorError, ExecutorRef, JobHandle};
use crate::graph::registry::LatticeDef;
use crate::graph::{Arg, Graph};
use crate::status::NodeStatus;
use crate::store::{CacheKey, Reusable};
use crate::task::{TaskOutcome, Workdir};

pub(super) enum Event {
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

pub(super) enum SetupState {
    NotStarted,
    Running,
    Ready,
    Failed(String),
}

pub(super) struct Lane {
    pub(super) name: String,
    pub(super) exec: ExecutorRef,
    pub(super) limit: usize,
    pub(super) batching: Batching,
    /// The executor's working directory settings, sent with each task.
    pub(super) workdir: Workdir,
    pub(super) running: usize,
    pub(super) queue: VecDeque<u32>,
    pub(super) setup: SetupState,
}

pub(super) const NO_LANE: u32 = u32::MAX;

pub(super) struct NodeState {
    pub(super) status: NodeStatus,
    pub(super) waiting: u32,
    pub(super) lane: u32,
    pub(super) attempts: u32,
    pub(super) in_flight: bool,
    pub(super) output: Option<Bytes>,
    pub(super) error: Option<String>,
    pub(super) started: Option<SystemTime>,
    pub(super) ended: Option<SystemTime>,
    pub(super) stdout: Option<String>,
    pub(super) stderr: Option<String>,
    pub(super) abort: Option<tokio::task::AbortHandle>,
    pub(super) job: Option<JobHandle>,
    pub(super) expanded: Option<Arg>,
    pub(super) key: Option<CacheKey>,
    pub(super) reused_from: Option<(Arc<str>, u32)>,
}

impl NodeState {
    pub(super) fn new() -> Self {
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
            key: None,
            reused_from: None,
        }
    }
}

pub(super) struct Run {
    pub(super) shared: Arc<Shared>,
    pub(super) id: Arc<str>,
    pub(super) lattice: &'static LatticeDef,
    pub(super) graph: Graph,
    pub(super) nodes: Vec<NodeState>,
    pub(super) dependants: Vec<SmallVec<[u32; 2]>>,
    pub(super) lanes: Vec<Lane>,
    pub(super) lane_of: HashMap<String, usize>,
    pub(super) output: Arg,
    pub(super) tx: mpsc::UnboundedSender<Event>,
    pub(super) ready: Vec<u32>,
    pub(super) unfinished: usize,
    pub(super) pending_retries: usize,
    pub(super) cancelled: bool,
    pub(super) counts: Progress,
    pub(super) started: SystemTime,
    pub(super) inputs: serde_json::Value,
    pub(super) reuse: Reuse,
}

/// What a run may reuse.
pub(super) struct Reuse {
    /// The completed nodes of the dispatch this one redispatches, by key.
    pub(super) earlier: FxHashMap<CacheKey, Reusable>,
    /// The read connection of `cache = true` lookups, opened on first use.
    pub(super) conn: Option<rusqlite::Connection>,
}

impl Reuse {
    pub(super) fn new(earlier: FxHashMap<CacheKey, Reusable>) -> Self {
        Reuse {
            earlier,
            conn: None,
        }
    }
}
