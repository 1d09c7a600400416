//! The writer thread: batches of state changes, one transaction each.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use rusqlite::{params, Connection};
use rustc_hash::FxHashMap;

use super::columns::{json_text, micros};
use super::error::StoreError;
use crate::data::TypeInfo;
use crate::status::{DispatchStatus, NodeStatus};

/// The most operations one transaction takes.
const MAX_BATCH: usize = 1 << 16;

/// How long the writer must be idle before it checkpoints the write-ahead log.
const IDLE_CHECKPOINT: Duration = Duration::from_millis(250);

/// How long the writer waits for more operations before it commits a batch.
const GATHER: Duration = Duration::from_millis(2);

/// A new dispatch, as first stored.
pub struct DispatchRow {
    /// The dispatch id.
    pub id: Arc<str>,
    /// The lattice's registered name.
    pub lattice: String,
    /// The encoded inputs.
    pub inputs: Bytes,
    /// The inputs as JSON text.
    pub inputs_json: String,
    /// The output's Rust type.
    pub output_type: String,
    /// How many nodes the graph has.
    pub node_count: usize,
    /// When it was created.
    pub created: SystemTime,
    /// The program that dispatched it (what `resume` runs again).
    pub program: Option<String>,
    /// The build identity of that program, when known.
    pub build_id: Option<String>,
    /// The driver's process id (to tell a live dispatch from one whose driver died); `None`
    /// for a dispatch handed to a driver not yet started ([`StoreOp::Driver`] names it).
    pub driver_pid: Option<u32>,
    /// The driver's host name.
    pub driver_host: String,
    /// The earlier dispatch whose completed nodes this one reuses (a redispatch).
    pub reuse_of: Option<String>,
}

/// A node as first stored.
pub struct NodeRow {
    /// The node id.
    pub node: u32,
    /// Its display name.
    pub name: String,
    /// `electron`, `sublattice` or `project`.
    pub kind: &'static str,
    /// The registered name of its electron or lattice.
    pub electron: &'static str,
    /// Its executor's label.
    pub executor: String,
    /// Its edges in, as JSON: `[[from, "param" or null], ...]`.
    pub deps: String,
    /// The sub-lattice node that built it.
    pub parent: Option<u32>,
    /// Its electron is `cache = true`: its reuse key goes in the cache's index.
    pub cacheable: bool,
}

/// The latest state of a node (every mutable column, so later updates supersede earlier ones).
pub struct NodeUpdate {
    /// The dispatch id.
    pub dispatch: Arc<str>,
    /// The node id.
    pub node: u32,
    /// Its status.
    pub status: NodeStatus,
    /// Its encoded output, with the type that renders it as JSON.
    pub output: Option<(Bytes, TypeInfo)>,
    /// Why it failed.
    pub error: Option<String>,
    /// When its last attempt started.
    pub started: Option<SystemTime>,
    /// When it ended.
    pub ended: Option<SystemTime>,
    /// How many attempts ran.
    pub attempts: u32,
    /// Captured standard output.
    pub stdout: Option<String>,
    /// Captured standard error.
    pub stderr: Option<String>,
    /// What reuse and the cache key on: its electron, code and arguments.
    pub cache_key: Option<CacheKey>,
    /// The dispatch and node its output was copied from, when it was reused.
    pub reused_from: Option<(Arc<str>, u32)>,
}

/// An electron node's reuse key: a hash of its electron's name and code hash and of its
/// encoded arguments (16 bytes of BLAKE3).
pub type CacheKey = [u8; 16];

/// What the writer thread is asked to do.
pub enum StoreOp {
    /// Records a new dispatch.
    NewDispatch(DispatchRow),
    /// Records that a stored dispatch is driven again (resume): its driver and status.
    Resumed {
        /// The dispatch id.
        id: Arc<str>,
        /// The program driving it now.
        program: Option<String>,
        /// The driver's process id.
        driver_pid: u32,
        /// The driver's host name.
        driver_host: String,
    },
    /// Records the process that drives a dispatch now (a detached driver).
    Driver {
        /// The dispatch id.
        id: Arc<str>,
        /// The driver's process id.
        driver_pid: u32,
        /// The driver's host name.
        driver_host: String,
    },
    /// Records nodes of a dispatch (status `NEW`).
    Nodes {
        /// The dispatch id.
        dispatch: Arc<str>,
        /// The nodes.
        rows: Vec<NodeRow>,
    },
    /// Records the state of a node.
    Node(NodeUpdate),
    /// Records the state of a dispatch.
    DispatchState {
        /// The dispatch id.
        id: Arc<str>,
        /// Its status.
        status: DispatchStatus,
        /// When it started.
        started: Option<SystemTime>,
        /// When it ended.
        ended: Option<SystemTime>,
        /// Its encoded output.
        output: Option<(Bytes, TypeInfo)>,
        /// Why it failed.
        error: Option<String>,
        /// How many nodes it has.
        node_count: usize,
    },
    /// Answers once everything before it is committed.
    Flush(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
    /// Like `Flush`, and also folds the write-ahead log into the database file.
    Close(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
    /// A flush already taken out of its batch.
    Flushed,
}

pub(super) fn run(mut conn: Connection, path: PathBuf, rx: Receiver<StoreOp>) {
    let mut pending_error: Option<StoreError> = None;
    let mut keys: HashMap<Arc<str>, i64> = HashMap::new();
    let mut dirty = false;
    loop {
        // Checkpoint the WAL into the database file while nothing is being written, so that the
        // next process to open the store does not replay it.
        let first = match rx.recv_timeout(IDLE_CHECKPOINT) {
            Ok(op) => op,
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    checkpoint(&conn, "PASSIVE");
                    dirty = false;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        dirty = true;
        // Gather what arrives within a short window (longer batches coalesce more node
        // updates and commit fewer pages). The writer parks meanwhile, so senders do not wake
        // it op by op; a flush unparks it (see `Store::flush`), so it is never held back.
        if !matches!(first, StoreOp::Flush(_) | StoreOp::Close(_)) {
            std::thread::park_timeout(GATHER);
        }
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        let mut close = false;
        batch.retain_mut(|op| match op {
            StoreOp::Flush(_) | StoreOp::Close(_) => {
                match std::mem::replace(op, StoreOp::Flushed) {
                    StoreOp::Flush(f) => flushes.push(f),
                    StoreOp::Close(f) => {
                        flushes.push(f);
                        close = true;
                    }
                    _ => {}
                }
                false
            }
            _ => true,
        });
        if let Err(e) = write_batch(&mut conn, &mut batch, &mut keys) {
            let e = StoreError::sqlite(&path, "cannot record the dispatch's progress", e);
            tracing::error!(error = %e, "results store write failed");
            pending_error.get_or_insert(e);
        }
        if close {
            checkpoint(&conn, "TRUNCATE");
            dirty = false;
        }
        for f in flushes {
            let _ = f.send(match pending_error.take() {
                Some(e) => Err(e),
                None => Ok(()),
            });
        }
    }
    if dirty {
        checkpoint(&conn, "TRUNCATE");
    }
}

fn checkpoint(conn: &Connection, mode: &str) {
    if let Err(e) = conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(())) {
        tracing::debug!(error = %e, "WAL checkpoint did not complete");
    }
}

fn opt_micros(t: Option<SystemTime>) -> Option<i64> {
    t.map(micros)
}

fn write_batch(
    conn: &mut Connection,
    batch: &mut Vec<StoreOp>,
    keys: &mut HashMap<Arc<str>, i64>,
) -> rusqlite::Result<()> {
    // Keep only the newest state of each node.
    let mut latest: FxHashMap<(*const u8, u32), usize> = FxHashMap::default();
    for (i, op) in batch.iter().enumerate() {
        if let StoreOp::Node(u) = op {
            latest.insert((u.dispatch.as_ptr(), u.node), i);
        }
    }
    let tx = conn.transaction()?;
    {
        let mut insert_node = tx.prepare_cached(
            "INSERT OR IGNORE INTO nodes (dispatch, node_id, name, kind, electron, executor, deps, parent, status,
                                        cacheable)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'NEW', ?9)",
        )?;
        let mut update_node = tx.prepare_cached(
            "UPDATE nodes SET status = ?3, output = ?4, output_json = ?5, error = ?6, started_at = ?7,
                    ended_at = ?8, attempts = ?9, stdout = ?10, stderr = ?11, cache_key = ?12,
                    reused_dispatch = ?13, reused_node = ?14
             WHERE dispatch = ?1 AND node_id = ?2",
        )?;
        for (i, op) in batch.drain(..).enumerate() {
            match op {
                StoreOp::NewDispatch(d) => {
                    tx.execute(
                        "INSERT INTO dispatches (id, lattice, status, inputs, inputs_json, output_type,
                             node_count, created_at, codec, program, build_id, driver_pid, driver_host,
                             reuse_of)
                         VALUES (?1, ?2, 'NEW', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                        params![
                            &*d.id,
                            d.lattice,
                            &d.inputs[..],
                            d.inputs_json,
                            d.output_type,
                            d.node_count as i64,
                            micros(d.created),
                            crate::codec::FORMAT,
                            d.program,
                            d.build_id,
                            d.driver_pid,
                            d.driver_host,
                            d.reuse_of
                        ],
                    )?;
                    keys.insert(d.id.clone(), tx.last_insert_rowid());
                }
                StoreOp::Resumed {
                    id,
                    program,
                    driver_pid,
                    driver_host,
                } => {
                    tx.execute(
                        "UPDATE dispatches SET status = 'RUNNING', ended_at = NULL, error = NULL, program = ?2,
                                driver_pid = ?3, driver_host = ?4
                         WHERE id = ?1",
                        params![&*id, program, driver_pid, driver_host],
                    )?;
                }
                StoreOp::Driver {
                    id,
                    driver_pid,
                    driver_host,
                } => {
                    tx.execute(
                        "UPDATE dispatches SET driver_pid = ?2, driver_host = ?3 WHERE id = ?1",
                        params![&*id, driver_pid, driver_host],
                    )?;
                }
                StoreOp::Nodes { dispatch, rows } => {
                    let key = key_of(&tx, keys, &dispatch)?;
                    for r in rows {
                        insert_node.execute(params![
                            key,
                            r.node,
                            r.name,
                            r.kind,
                            r.electron,
                            r.executor,
                            r.deps,
                            r.parent,
                            r.cacheable
                        ])?;
                    }
                }
                StoreOp::Node(u) => {
                    if latest.get(&(u.dispatch.as_ptr(), u.node)) != Some(&i) {
                        continue;
                    }
                    let (output, output_json) = match &u.output {
                        Some((b, ty)) => (Some(&b[..]), json_text(b, *ty)),
                        None => (None, None),
                    };
                    let key = key_of(&tx, keys, &u.dispatch)?;
                    update_node.execute(params![
                        key,
                        u.node,
                        u.status.as_str(),
                        output,
                        output_json,
                        u.error,
                        opt_micros(u.started),
                        opt_micros(u.ended),
                        u.attempts,
                        u.stdout,
                        u.stderr,
                        u.cache_key.as_ref().map(|k| &k[..]),
                        u.reused_from.as_ref().map(|(d, _)| &**d),
                        u.reused_from.as_ref().map(|(_, n)| *n)
                    ])?;
                }
                StoreOp::DispatchState {
                    id,
                    status,
                    started,
                    ended,
                    output,
                    error,
                    node_count,
                } => {
                    let (out, out_json) = match &output {
                        Some((b, ty)) => (Some(&b[..]), json_text(b, *ty)),
                        None => (None, None),
                    };
                    tx.execute(
                        "UPDATE dispatches SET status = ?2, started_at = ?3, ended_at = ?4, output = ?5,
                                output_json = ?6, error = ?7, node_count = ?8
                         WHERE id = ?1",
                        params![
                            &*id,
                            status.as_str(),
                            opt_micros(started),
                            opt_micros(ended),
                            out,
                            out_json,
                            error,
                            node_count as i64
                        ],
                    )?;
                }
                StoreOp::Flush(_) | StoreOp::Close(_) | StoreOp::Flushed => {}
            }
        }
    }
    tx.commit()
}

/// The integer key of a dispatch (nodes are keyed by it, not by the 36-character id).
fn key_of(
    conn: &Connection,
    keys: &mut HashMap<Arc<str>, i64>,
    id: &Arc<str>,
) -> rusqlite::Result<i64> {
    if let Some(k) = keys.get(id) {
        return Ok(*k);
    }
    let k: i64 = conn.query_row(
        "SELECT key FROM dispatches WHERE id = ?1",
        params![&**id],
        |r| r.get(0),
    )?;
    keys.insert(id.clone(), k);
    Ok(k)
}
