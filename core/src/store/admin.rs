//! What tools do to the store besides recording dispatches: cancel requests from another
//! process, and purging old results.

use std::path::Path;
use std::time::SystemTime;

use rusqlite::{params, Connection, OptionalExtension};

use super::columns::micros;
use super::error::StoreError;
use super::schema;
use crate::status::DispatchStatus;

/// Which dispatches [`Store::purge`](super::Store::purge) deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purge {
    /// Every dispatch that has ended (completed, failed or cancelled).
    Finished,
    /// Every dispatch that has ended before this time.
    FinishedBefore(SystemTime),
    /// Every dispatch, running ones included.
    All,
}

pub(super) fn write_conn(path: &Path) -> Result<Connection, StoreError> {
    schema::connect(path).map_err(|e| StoreError::sqlite(path, "cannot open it for writing", e))
}

fn key(conn: &Connection, path: &Path, id: &str) -> Result<Option<i64>, StoreError> {
    conn.query_row(
        "SELECT key FROM dispatches WHERE id = ?1",
        params![id],
        |r| r.get(0),
    )
    .optional()
    .map_err(|e| StoreError::sqlite(path, "cannot read it", e))
}

/// Asks the driver of a running dispatch to cancel it (`nodes` empty) or some of its nodes.
/// Returns `false` when there is no such dispatch.
pub(super) fn request_cancel(path: &Path, id: &str, nodes: &[u32]) -> Result<bool, StoreError> {
    let conn = write_conn(path)?;
    let Some(key) = key(&conn, path, id)? else {
        return Ok(false);
    };
    let now = micros(SystemTime::now());
    let err = |e| StoreError::sqlite(path, "cannot record the cancel request", e);
    if nodes.is_empty() {
        conn.execute(
            "INSERT INTO cancel_requests (dispatch, node_id, requested_at) VALUES (?1, NULL, ?2)",
            params![key, now],
        )
        .map_err(err)?;
    } else {
        for n in nodes {
            conn.execute(
                "INSERT INTO cancel_requests (dispatch, node_id, requested_at) VALUES (?1, ?2, ?3)",
                params![key, n, now],
            )
            .map_err(err)?;
        }
    }
    Ok(true)
}

/// Takes (and deletes) the cancel requests of a dispatch: `None` cancels it all.
pub(super) fn take_cancel_requests(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Vec<Option<u32>>, StoreError> {
    let err = |e| StoreError::sqlite(path, "cannot read cancel requests", e);
    let Some(key) = key(conn, path, id)? else {
        return Ok(Vec::new());
    };
    let mut stmt = conn
        .prepare_cached("DELETE FROM cancel_requests WHERE dispatch = ?1 RETURNING node_id")
        .map_err(err)?;
    let rows = stmt
        .query_map(params![key], |r| r.get::<_, Option<u32>>(0))
        .map_err(err)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(err)?;
    Ok(rows)
}

/// Marks a dispatch whose driver is gone as cancelled: it and its unfinished nodes (or only
/// the given nodes, and then the dispatch stays as it is).
pub(super) fn mark_cancelled(path: &Path, id: &str, nodes: &[u32]) -> Result<bool, StoreError> {
    let mut conn = write_conn(path)?;
    let err = |e| StoreError::sqlite(path, "cannot record the cancel", e);
    let Some(key) = key(&conn, path, id)? else {
        return Ok(false);
    };
    let now = micros(SystemTime::now());
    let tx = conn.transaction().map_err(err)?;
    if nodes.is_empty() {
        tx.execute(
            "UPDATE nodes SET status = 'CANCELLED', ended_at = ?2, error = 'cancelled (its driver had stopped)'
             WHERE dispatch = ?1 AND status IN ('NEW', 'RUNNING')",
            params![key, now],
        )
        .map_err(err)?;
        tx.execute(
            "UPDATE dispatches SET status = ?2, ended_at = ?3, error = 'cancelled (its driver had stopped)'
             WHERE key = ?1",
            params![key, DispatchStatus::Cancelled.as_str(), now],
        )
        .map_err(err)?;
    } else {
        for n in nodes {
            tx.execute(
                "UPDATE nodes SET status = 'CANCELLED', ended_at = ?3, error = 'cancelled'
                 WHERE dispatch = ?1 AND node_id = ?2 AND status IN ('NEW', 'RUNNING')",
                params![key, n, now],
            )
            .map_err(err)?;
        }
    }
    tx.commit().map_err(err)?;
    Ok(true)
}

/// Deletes dispatches (and their nodes); returns how many.
pub(super) fn purge(path: &Path, which: Purge) -> Result<usize, StoreError> {
    let conn = write_conn(path)?;
    let err = |e| StoreError::sqlite(path, "cannot purge it", e);
    let n = match which {
        Purge::All => conn.execute("DELETE FROM dispatches", []),
        Purge::Finished => conn.execute(
            "DELETE FROM dispatches WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED')",
            [],
        ),
        Purge::FinishedBefore(t) => conn.execute(
            "DELETE FROM dispatches WHERE status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND ended_at < ?1",
            params![micros(t)],
        ),
    }
    .map_err(err)?;
    if n > 0 {
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")
            .map_err(err)?;
    }
    Ok(n)
}
