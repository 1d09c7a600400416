//! The tables, and how a connection is set up.

use std::path::Path;

use rusqlite::Connection;

/// The schema version, in `PRAGMA user_version`.
const VERSION: i32 = 3;

pub(super) fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -16384)?;
    // The writer checkpoints when idle and at shutdown; during a burst the log may grow to 64 MiB.
    conn.pragma_update(None, "wal_autocheckpoint", 16384)?;
    Ok(conn)
}

pub(super) fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let version: i32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version >= VERSION {
        return Ok(());
    }
    if version == 0 {
        return conn.execute_batch(CREATE);
    }
    if version == 1 {
        // Version 1 lacked what resume and cross-process cancel need.
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             ALTER TABLE dispatches ADD COLUMN program TEXT;
             ALTER TABLE dispatches ADD COLUMN build_id TEXT;
             ALTER TABLE dispatches ADD COLUMN driver_pid INTEGER;
             ALTER TABLE dispatches ADD COLUMN driver_host TEXT;
             ALTER TABLE nodes ADD COLUMN job TEXT;
             CREATE TABLE IF NOT EXISTS cancel_requests (
                 dispatch     INTEGER NOT NULL REFERENCES dispatches(key) ON DELETE CASCADE,
                 node_id      INTEGER,
                 requested_at INTEGER NOT NULL
             );
             CREATE INDEX IF NOT EXISTS cancel_requests_dispatch ON cancel_requests(dispatch);
             PRAGMA user_version = 2;
             COMMIT;",
        )?;
    }
    // Version 2 lacked what redispatch and the electron cache need.
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         ALTER TABLE dispatches ADD COLUMN reuse_of TEXT;
         ALTER TABLE nodes ADD COLUMN cache_key BLOB;
         ALTER TABLE nodes ADD COLUMN cacheable INTEGER NOT NULL DEFAULT 0;
         ALTER TABLE nodes ADD COLUMN reused_dispatch TEXT;
         ALTER TABLE nodes ADD COLUMN reused_node INTEGER;
         CREATE INDEX IF NOT EXISTS nodes_cache_key ON nodes(cache_key) WHERE cacheable = 1;
         PRAGMA user_version = 3;
         COMMIT;",
    )
}

/// The tables of a new store. Only the nodes of `cache = true` electrons are in the index of
/// reuse keys: indexing every node's key cost the dispatcher a third of its speed at a
/// fan-out of 100,000 (BENCHMARKS.md); a redispatch reads its earlier dispatch's keys by the
/// primary key instead.
const CREATE: &str = "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS dispatches (
             key          INTEGER PRIMARY KEY,
             id           TEXT NOT NULL UNIQUE,
             lattice      TEXT NOT NULL,
             status       TEXT NOT NULL,
             inputs       BLOB,
             inputs_json  TEXT,
             output       BLOB,
             output_json  TEXT,
             output_type  TEXT,
             error        TEXT,
             node_count   INTEGER NOT NULL DEFAULT 0,
             created_at   INTEGER NOT NULL,
             started_at   INTEGER,
             ended_at     INTEGER,
             codec        TEXT NOT NULL,
             program      TEXT,
             build_id     TEXT,
             driver_pid   INTEGER,
             driver_host  TEXT,
             reuse_of TEXT
         );
         CREATE INDEX IF NOT EXISTS dispatches_created ON dispatches(created_at);
         CREATE TABLE IF NOT EXISTS nodes (
             dispatch     INTEGER NOT NULL REFERENCES dispatches(key) ON DELETE CASCADE,
             node_id      INTEGER NOT NULL,
             name         TEXT NOT NULL,
             kind         TEXT NOT NULL,
             electron     TEXT NOT NULL,
             executor     TEXT NOT NULL,
             deps         TEXT NOT NULL,
             parent       INTEGER,
             status       TEXT NOT NULL,
             output       BLOB,
             output_json  TEXT,
             error        TEXT,
             started_at   INTEGER,
             ended_at     INTEGER,
             attempts     INTEGER NOT NULL DEFAULT 0,
             stdout       TEXT,
             stderr       TEXT,
             job          TEXT,
             cache_key    BLOB,
             cacheable    INTEGER NOT NULL DEFAULT 0,
             reused_dispatch TEXT,
             reused_node  INTEGER,
             PRIMARY KEY (dispatch, node_id)
         ) WITHOUT ROWID;
         CREATE INDEX IF NOT EXISTS nodes_cache_key ON nodes(cache_key) WHERE cacheable = 1;
         CREATE TABLE IF NOT EXISTS cancel_requests (
             dispatch     INTEGER NOT NULL REFERENCES dispatches(key) ON DELETE CASCADE,
             node_id      INTEGER,
             requested_at INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS cancel_requests_dispatch ON cancel_requests(dispatch);
         PRAGMA user_version = 3;
         COMMIT;";

#[cfg(test)]
mod tests {
    /// The tables of a version 2 store, as they were created.
    const V2: &str = "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS dispatches (
             key          INTEGER PRIMARY KEY,
             id           TEXT NOT NULL UNIQUE,
             lattice      TEXT NOT NULL,
             status       TEXT NOT NULL,
             inputs       BLOB,
             inputs_json  TEXT,
             output       BLOB,
             output_json  TEXT,
             output_type  TEXT,
             error        TEXT,
             node_count   INTEGER NOT NULL DEFAULT 0,
             created_at   INTEGER NOT NULL,
             started_at   INTEGER,
             ended_at     INTEGER,
             codec        TEXT NOT NULL,
             program      TEXT,
             build_id     TEXT,
             driver_pid   INTEGER,
             driver_host  TEXT
         );
         CREATE INDEX IF NOT EXISTS dispatches_created ON dispatches(created_at);
         CREATE TABLE IF NOT EXISTS nodes (
             dispatch     INTEGER NOT NULL REFERENCES dispatches(key) ON DELETE CASCADE,
             node_id      INTEGER NOT NULL,
             name         TEXT NOT NULL,
             kind         TEXT NOT NULL,
             electron     TEXT NOT NULL,
             executor     TEXT NOT NULL,
             deps         TEXT NOT NULL,
             parent       INTEGER,
             status       TEXT NOT NULL,
             output       BLOB,
             output_json  TEXT,
             error        TEXT,
             started_at   INTEGER,
             ended_at     INTEGER,
             attempts     INTEGER NOT NULL DEFAULT 0,
             stdout       TEXT,
             stderr       TEXT,
             job          TEXT,
             PRIMARY KEY (dispatch, node_id)
         ) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS cancel_requests (
             dispatch     INTEGER NOT NULL REFERENCES dispatches(key) ON DELETE CASCADE,
             node_id      INTEGER,
             requested_at INTEGER NOT NULL
         );
         CREATE INDEX IF NOT EXISTS cancel_requests_dispatch ON cancel_requests(dispatch);
         PRAGMA user_version = 2;
         COMMIT;";

    #[test]
    fn a_version_2_store_is_migrated_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.db");
        let conn = super::connect(&path).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.execute_batch(
            "INSERT INTO dispatches (id, lattice, status, created_at, codec) VALUES ('d', 'l', 'COMPLETED', 1, 'postcard');
             INSERT INTO nodes (dispatch, node_id, name, kind, electron, executor, deps, status)
             VALUES (1, 0, 'n', 'electron', 'e', 'local', '[]', 'COMPLETED');",
        )
        .unwrap();
        super::migrate(&conn).unwrap();
        let version: i32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, super::VERSION);
        let (key, cacheable, reuse_of): (Option<Vec<u8>>, i64, Option<String>) = conn
            .query_row(
                "SELECT n.cache_key, n.cacheable, d.reuse_of FROM nodes n JOIN dispatches d ON d.key = n.dispatch",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((key, cacheable, reuse_of), (None, 0, None));
        super::migrate(&conn).unwrap(); // once is enough: a second time changes nothing
    }
}
