//! Reading dispatches back, from this process or another.

use std::path::Path;
use std::time::SystemTime;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use super::columns::from_micros;
use super::error::StoreError;
use crate::status::{DispatchStatus, NodeStatus};

pub(super) fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::sqlite(path, "cannot open it for reading", e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(|e| StoreError::sqlite(path, "cannot configure the reader", e))?;
    Ok(conn)
}

/// One dispatch as a line of a listing.
#[derive(Debug, Clone)]
pub struct DispatchSummary {
    /// The dispatch id.
    pub id: String,
    /// The lattice's registered name.
    pub lattice: String,
    /// Its status.
    pub status: DispatchStatus,
    /// When it was created.
    pub created: SystemTime,
    /// When it ended.
    pub ended: Option<SystemTime>,
    /// How many nodes it has.
    pub node_count: usize,
    /// When it started running.
    pub started: Option<SystemTime>,
    /// How many of its stored nodes are in each status.
    pub counts: NodeCounts,
    /// The process that drives (or drove) it.
    pub driver_pid: Option<u32>,
    /// The host that process runs on.
    pub driver_host: Option<String>,
}

impl DispatchSummary {
    /// Whether the driver of an unfinished dispatch still runs: `None` when the dispatch has
    /// ended, names no driver, or its driver is on another host (this machine cannot tell).
    ///
    /// ```
    /// # use orbital_core::store::{DispatchSummary, NodeCounts};
    /// # use orbital_core::DispatchStatus;
    /// let d = DispatchSummary {
    ///     id: "d".into(), lattice: "l".into(), status: DispatchStatus::Running,
    ///     created: std::time::SystemTime::now(), ended: None, node_count: 1, started: None,
    ///     counts: NodeCounts::default(), driver_pid: Some(std::process::id()),
    ///     driver_host: Some(orbital_core::identity::host()),
    /// };
    /// assert_eq!(d.driver_alive(), Some(true));
    /// ```
    pub fn driver_alive(&self) -> Option<bool> {
        if self.status.is_final() {
            return None;
        }
        let pid = self.driver_pid?;
        if self.driver_host.as_deref() != Some(crate::task::identity::host().as_str()) {
            return None;
        }
        Some(crate::task::identity::process_alive(pid))
    }
}

/// How many nodes of a dispatch are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeCounts {
    /// Waiting for their inputs (`NEW`).
    pub new: usize,
    /// Running or waiting to retry.
    pub running: usize,
    /// Completed.
    pub completed: usize,
    /// Failed after their last attempt.
    pub failed: usize,
    /// Not run because an input failed.
    pub upstream_failed: usize,
    /// Cancelled.
    pub cancelled: usize,
}

impl NodeCounts {
    /// Counts one more node in `status`.
    pub fn add(&mut self, status: NodeStatus) {
        match status {
            NodeStatus::New => self.new += 1,
            NodeStatus::Running => self.running += 1,
            NodeStatus::Completed => self.completed += 1,
            NodeStatus::Failed => self.failed += 1,
            NodeStatus::UpstreamFailed => self.upstream_failed += 1,
            NodeStatus::Cancelled => self.cancelled += 1,
        }
    }

    /// All the nodes counted.
    pub fn total(&self) -> usize {
        self.new
            + self.running
            + self.completed
            + self.failed
            + self.upstream_failed
            + self.cancelled
    }
}

/// A dispatch as stored.
#[derive(Debug, Clone)]
pub struct StoredDispatch {
    /// Its summary.
    pub summary: DispatchSummary,
    /// When it started running.
    pub started: Option<SystemTime>,
    /// The encoded inputs.
    pub inputs: Vec<u8>,
    /// The inputs as JSON text.
    pub inputs_json: Option<String>,
    /// The encoded output.
    pub output: Option<Vec<u8>>,
    /// The output as JSON text.
    pub output_json: Option<String>,
    /// The output's Rust type.
    pub output_type: String,
    /// Why it failed.
    pub error: Option<String>,
    /// The program that dispatched it.
    pub program: Option<String>,
    /// That program's build identity, when it was known.
    pub build_id: Option<String>,
    /// The process id of its driver.
    pub driver_pid: Option<u32>,
    /// The host of its driver.
    pub driver_host: Option<String>,
    /// The earlier dispatch this one reuses the completed nodes of (a redispatch).
    pub reuse_of: Option<String>,
    /// Its nodes, by id.
    pub nodes: Vec<StoredNode>,
}

/// A node as stored.
#[derive(Debug, Clone)]
pub struct StoredNode {
    /// The node id.
    pub id: u32,
    /// Its display name.
    pub name: String,
    /// `electron`, `sublattice` or `project`.
    pub kind: String,
    /// The electron's or lattice's registered name.
    pub electron: String,
    /// The executor's label.
    pub executor: String,
    /// Its edges in, as JSON: `[[from, "param" or null], ...]`.
    pub deps: String,
    /// The sub-lattice node that built it.
    pub parent: Option<u32>,
    /// Its status.
    pub status: NodeStatus,
    /// The encoded output.
    pub output: Option<Vec<u8>>,
    /// The output as JSON text.
    pub output_json: Option<String>,
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
    /// The executor's job handle, while a batch job runs.
    pub job: Option<String>,
    /// Its reuse key (electron, code and arguments), once it has run.
    pub cache_key: Option<Vec<u8>>,
    /// The dispatch and node its output was copied from, when it was reused.
    pub reused_from: Option<(String, u32)>,
}

fn status<T: std::str::FromStr<Err = String>>(s: String) -> rusqlite::Result<T> {
    s.parse().map_err(|e: String| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
    })
}

pub(super) fn load(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Option<StoredDispatch>, StoreError> {
    let err = |e| StoreError::sqlite(path, "cannot read it", e);
    let row = conn
        .query_row(
            "SELECT id, lattice, status, created_at, ended_at, node_count, started_at, inputs, inputs_json,
                    output, output_json, output_type, error, program, build_id, driver_pid, driver_host,
                    reuse_of
             FROM dispatches WHERE id = ?1",
            params![id],
            |r| {
                Ok(StoredDispatch {
                    summary: DispatchSummary {
                        id: r.get(0)?,
                        lattice: r.get(1)?,
                        status: status(r.get(2)?)?,
                        created: from_micros(r.get(3)?),
                        ended: r.get::<_, Option<i64>>(4)?.map(from_micros),
                        node_count: r.get::<_, i64>(5)? as usize,
                        started: r.get::<_, Option<i64>>(6)?.map(from_micros),
                        counts: NodeCounts::default(),
                        driver_pid: r.get(15)?,
                        driver_host: r.get(16)?,
                    },
                    started: r.get::<_, Option<i64>>(6)?.map(from_micros),
                    inputs: r.get::<_, Option<Vec<u8>>>(7)?.unwrap_or_default(),
                    inputs_json: r.get(8)?,
                    output: r.get(9)?,
                    output_json: r.get(10)?,
                    output_type: r.get::<_, Option<String>>(11)?.unwrap_or_default(),
                    error: r.get(12)?,
                    program: r.get(13)?,
                    build_id: r.get(14)?,
                    driver_pid: r.get(15)?,
                    driver_host: r.get(16)?,
                    reuse_of: r.get(17)?,
                    nodes: Vec::new(),
                })
            },
        )
        .optional()
        .map_err(err)?;
    let Some(mut d) = row else { return Ok(None) };
    let mut stmt = conn
        .prepare(
            "SELECT node_id, name, kind, electron, executor, deps, parent, status, output, output_json, error,
                    started_at, ended_at, attempts, stdout, stderr, job, cache_key, reused_dispatch, reused_node
             FROM nodes WHERE dispatch = (SELECT key FROM dispatches WHERE id = ?1) ORDER BY node_id",
        )
        .map_err(err)?;
    let nodes = stmt
        .query_map(params![id], |r| {
            Ok(StoredNode {
                id: r.get(0)?,
                name: r.get(1)?,
                kind: r.get(2)?,
                electron: r.get(3)?,
                executor: r.get(4)?,
                deps: r.get(5)?,
                parent: r.get(6)?,
                status: status(r.get(7)?)?,
                output: r.get(8)?,
                output_json: r.get(9)?,
                error: r.get(10)?,
                started: r.get::<_, Option<i64>>(11)?.map(from_micros),
                ended: r.get::<_, Option<i64>>(12)?.map(from_micros),
                attempts: r.get(13)?,
                stdout: r.get(14)?,
                stderr: r.get(15)?,
                job: r.get(16)?,
                cache_key: r.get(17)?,
                reused_from: match (
                    r.get::<_, Option<String>>(18)?,
                    r.get::<_, Option<u32>>(19)?,
                ) {
                    (Some(d), Some(n)) => Some((d, n)),
                    _ => None,
                },
            })
        })
        .map_err(err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(err)?;
    for n in &nodes {
        d.summary.counts.add(n.status);
    }
    d.nodes = nodes;
    Ok(Some(d))
}

pub(super) fn list(
    conn: &Connection,
    path: &Path,
    limit: usize,
) -> Result<Vec<DispatchSummary>, StoreError> {
    let err = |e| StoreError::sqlite(path, "cannot read it", e);
    // One query: the newest dispatches, each with its nodes counted by status (the nodes'
    // primary key starts with the dispatch, so each count is a range scan).
    let mut stmt = conn
        .prepare(
            "SELECT d.id, d.lattice, d.status, d.created_at, d.ended_at, d.node_count, d.started_at,
                    d.driver_pid, d.driver_host,
                    COUNT(n.status),
                    COALESCE(SUM(n.status = 'NEW'), 0),
                    COALESCE(SUM(n.status = 'RUNNING'), 0),
                    COALESCE(SUM(n.status = 'COMPLETED'), 0),
                    COALESCE(SUM(n.status = 'FAILED'), 0),
                    COALESCE(SUM(n.status = 'UPSTREAM_FAILED'), 0),
                    COALESCE(SUM(n.status = 'CANCELLED'), 0)
             FROM (SELECT key, id, lattice, status, created_at, ended_at, node_count, started_at,
                          driver_pid, driver_host
                   FROM dispatches ORDER BY created_at DESC, key DESC LIMIT ?1) AS d
             LEFT JOIN nodes AS n ON n.dispatch = d.key
             GROUP BY d.key
             ORDER BY d.created_at DESC, d.key DESC",
        )
        .map_err(err)?;
    let count = |r: &rusqlite::Row<'_>, i| r.get::<_, i64>(i).map(|n| n.max(0) as usize);
    let rows = stmt
        .query_map(params![limit.min(i64::MAX as usize) as i64], |r| {
            Ok(DispatchSummary {
                id: r.get(0)?,
                lattice: r.get(1)?,
                status: status(r.get(2)?)?,
                created: from_micros(r.get(3)?),
                ended: r.get::<_, Option<i64>>(4)?.map(from_micros),
                node_count: count(r, 5)?.max(count(r, 9)?),
                started: r.get::<_, Option<i64>>(6)?.map(from_micros),
                driver_pid: r.get(7)?,
                driver_host: r.get(8)?,
                counts: NodeCounts {
                    new: count(r, 10)?,
                    running: count(r, 11)?,
                    completed: count(r, 12)?,
                    failed: count(r, 13)?,
                    upstream_failed: count(r, 14)?,
                    cancelled: count(r, 15)?,
                },
            })
        })
        .map_err(err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(err)?;
    Ok(rows)
}
