//! The writer thread: batches of state changes, one transaction each.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use rusqlite::{params, Connection};

use super::{json_text, micros, StoreError};
use crate::data::TypeInfo;
use crate::status::{DispatchStatus, NodeStatus};

/// The most operations one transaction takes.
const MAX_BATCH: usize = 1 << 16;

/// A new dispatch.
pub(crate) struct DispatchRow {
    pub id: Arc<str>,
    pub lattice: String,
    pub inputs: Bytes,
    pub inputs_json: String,
    pub output_type: String,
    pub node_count: usize,
    pub created: SystemTime,
}

/// A node as first stored.
pub(crate) struct NodeRow {
    pub node: u32,
    pub name: String,
    pub kind: &'static str,
    pub electron: &'static str,
    pub executor: String,
    pub deps: String,
    pub parent: Option<u32>,
}

/// The latest state of a node (every mutable column, so later updates supersede earlier ones).
pub(crate) struct NodeUpdate {
    pub dispatch: Arc<str>,
    pub node: u32,
    pub status: NodeStatus,
    pub output: Option<(Bytes, TypeInfo)>,
    pub error: Option<String>,
    pub started: Option<SystemTime>,
    pub ended: Option<SystemTime>,
    pub attempts: u32,
    pub stdout: Option<String>,
    pub stderr: Option<String>,
}

/// What the writer thread is asked to do.
pub(crate) enum StoreOp {
    NewDispatch(DispatchRow),
    Nodes {
        dispatch: Arc<str>,
        rows: Vec<NodeRow>,
    },
    Node(NodeUpdate),
    DispatchState {
        id: Arc<str>,
        status: DispatchStatus,
        started: Option<SystemTime>,
        ended: Option<SystemTime>,
        output: Option<(Bytes, TypeInfo)>,
        error: Option<String>,
        node_count: usize,
    },
    Flush(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
    /// A flush already taken out of its batch.
    Flushed,
}

pub(super) fn run(mut conn: Connection, path: PathBuf, rx: Receiver<StoreOp>) {
    let mut pending_error: Option<StoreError> = None;
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        let mut flushes = Vec::new();
        batch.retain_mut(|op| match op {
            StoreOp::Flush(_) => {
                if let StoreOp::Flush(f) = std::mem::replace(op, StoreOp::Flushed) {
                    flushes.push(f);
                }
                false
            }
            _ => true,
        });
        if let Err(e) = write_batch(&mut conn, &mut batch) {
            let e = StoreError::sqlite(&path, "cannot record the dispatch's progress", e);
            tracing::error!(error = %e, "results store write failed");
            pending_error.get_or_insert(e);
        }
        for f in flushes {
            let _ = f.send(match pending_error.take() {
                Some(e) => Err(e),
                None => Ok(()),
            });
        }
    }
}

fn opt_micros(t: Option<SystemTime>) -> Option<i64> {
    t.map(micros)
}

fn write_batch(conn: &mut Connection, batch: &mut Vec<StoreOp>) -> rusqlite::Result<()> {
    // Keep only the newest state of each node.
    let mut latest: HashMap<(*const u8, u32), usize> = HashMap::new();
    for (i, op) in batch.iter().enumerate() {
        if let StoreOp::Node(u) = op {
            latest.insert((u.dispatch.as_ptr(), u.node), i);
        }
    }
    let tx = conn.transaction()?;
    {
        let mut insert_node = tx.prepare_cached(
            "INSERT OR REPLACE INTO nodes (dispatch_id, node_id, name, kind, electron, executor, deps, parent, status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'NEW')",
        )?;
        let mut update_node = tx.prepare_cached(
            "UPDATE nodes SET status = ?3, output = ?4, output_json = ?5, error = ?6, started_at = ?7,
                    ended_at = ?8, attempts = ?9, stdout = ?10, stderr = ?11
             WHERE dispatch_id = ?1 AND node_id = ?2",
        )?;
        for (i, op) in batch.drain(..).enumerate() {
            match op {
                StoreOp::NewDispatch(d) => {
                    tx.execute(
                        "INSERT OR REPLACE INTO dispatches (id, lattice, status, inputs, inputs_json, output_type,
                             node_count, created_at, codec)
                         VALUES (?1, ?2, 'NEW', ?3, ?4, ?5, ?6, ?7, ?8)",
                        params![
                            &*d.id,
                            d.lattice,
                            &d.inputs[..],
                            d.inputs_json,
                            d.output_type,
                            d.node_count as i64,
                            micros(d.created),
                            crate::codec::FORMAT
                        ],
                    )?;
                }
                StoreOp::Nodes { dispatch, rows } => {
                    for r in rows {
                        insert_node.execute(params![
                            &*dispatch, r.node, r.name, r.kind, r.electron, r.executor, r.deps,
                            r.parent
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
                    update_node.execute(params![
                        &*u.dispatch,
                        u.node,
                        u.status.as_str(),
                        output,
                        output_json,
                        u.error,
                        opt_micros(u.started),
                        opt_micros(u.ended),
                        u.attempts,
                        u.stdout,
                        u.stderr
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
                StoreOp::Flush(_) | StoreOp::Flushed => {}
            }
        }
    }
    tx.commit()
}
