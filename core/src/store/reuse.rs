//! Finding earlier results to reuse: the completed nodes of one dispatch (a redispatch) or of
//! any dispatch (`#[electron(cache = true)]`), by their reuse key; and forgetting those keys.

use std::path::Path;
use std::time::SystemTime;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension};
use rustc_hash::FxHashMap;

use super::columns::from_micros;
use super::error::StoreError;
use super::writer::CacheKey;

/// A completed node whose output another node may take instead of running.
#[derive(Debug, Clone)]
pub struct Reusable {
    /// The dispatch it ran in (for a node that was itself reused, the one it came from).
    pub dispatch: String,
    /// Its node id there.
    pub node: u32,
    /// Its encoded output.
    pub output: Bytes,
    /// When it ended.
    pub ended: Option<SystemTime>,
}

fn key_of(blob: Vec<u8>) -> Option<CacheKey> {
    blob.try_into().ok()
}

/// Where a stored row's output came from: itself, or the node it was copied from.
fn origin(r: &rusqlite::Row<'_>, dispatch: String, node: u32) -> rusqlite::Result<(String, u32)> {
    Ok(
        match (r.get::<_, Option<String>>(3)?, r.get::<_, Option<u32>>(4)?) {
            (Some(d), Some(n)) => (d, n),
            _ => (dispatch, node),
        },
    )
}

/// The completed nodes of dispatch `id`, by reuse key.
pub(super) fn of_dispatch(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<FxHashMap<CacheKey, Reusable>, StoreError> {
    let err = |e| StoreError::sqlite(path, "cannot read the nodes to reuse", e);
    let mut stmt = conn
        .prepare(
            "SELECT cache_key, node_id, output, reused_dispatch, reused_node, ended_at FROM nodes
             WHERE dispatch = (SELECT key FROM dispatches WHERE id = ?1)
               AND status = 'COMPLETED' AND cache_key IS NOT NULL AND output IS NOT NULL",
        )
        .map_err(err)?;
    let rows = stmt
        .query_map(params![id], |r| {
            let node: u32 = r.get(1)?;
            let (dispatch, node) = origin(r, id.to_owned(), node)?;
            Ok((
                key_of(r.get(0)?),
                Reusable {
                    dispatch,
                    node,
                    output: Bytes::from(r.get::<_, Vec<u8>>(2)?),
                    ended: r.get::<_, Option<i64>>(5)?.map(from_micros),
                },
            ))
        })
        .map_err(err)?;
    let mut map = FxHashMap::default();
    for row in rows {
        if let (Some(k), r) = row.map_err(err)? {
            map.entry(k).or_insert(r);
        }
    }
    Ok(map)
}

/// Any completed node of the store with this reuse key.
pub(super) fn cached(
    conn: &Connection,
    path: &Path,
    key: &CacheKey,
) -> Result<Option<Reusable>, StoreError> {
    conn.prepare_cached(
        "SELECT d.id, n.node_id, n.output, n.reused_dispatch, n.reused_node, n.ended_at
         FROM nodes AS n JOIN dispatches AS d ON d.key = n.dispatch
         WHERE n.cache_key = ?1 AND n.cacheable = 1 AND n.status = 'COMPLETED' AND n.output IS NOT NULL
         LIMIT 1",
    )
    .and_then(|mut stmt| {
        stmt.query_row(params![&key[..]], |r| {
            let (dispatch, node) = origin(r, r.get(0)?, r.get(1)?)?;
            Ok(Reusable {
                dispatch,
                node,
                output: Bytes::from(r.get::<_, Vec<u8>>(2)?),
                ended: r.get::<_, Option<i64>>(5)?.map(from_micros),
            })
        })
        .optional()
    })
    .map_err(|e| StoreError::sqlite(path, "cannot look up the cache", e))
}

/// Forgets every reuse key, so that no earlier result is reused; returns how many nodes had
/// one. The results themselves stay.
pub(super) fn forget(conn: &Connection, path: &Path) -> Result<usize, StoreError> {
    conn.execute(
        "UPDATE nodes SET cache_key = NULL WHERE cache_key IS NOT NULL",
        [],
    )
    .map_err(|e| StoreError::sqlite(path, "cannot clear the cache", e))
}
