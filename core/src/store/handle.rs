//! The handle on the store: where the file lives, opening it, and the calls readers and the
//! writer thread answer.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::admin::{self, Purge};
use super::error::StoreError;
use super::reader::{self, DispatchSummary, StoredDispatch};
use super::reuse::{self, Reusable};
use super::schema;
use super::writer::{self, CacheKey, StoreOp};
use crate::config::{Config, DATA_DIR_ENV, DB_ENV};

/// Where the store lives: `$ORBITAL_DB`, else `[store] path`, else `$ORBITAL_DATA_DIR/orbital.db`,
/// else `orbital/orbital.db` in the platform data dir (`~/.local/share/orbital/orbital.db`).
pub fn default_path(config: &Config) -> PathBuf {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = &config.store.path {
        return p.clone();
    }
    if let Some(d) = std::env::var_os(DATA_DIR_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(d).join("orbital.db");
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("orbital")
        .join("orbital.db")
}

/// A handle on the results store: sends writes to the writer thread, opens readers.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: std::sync::mpsc::Sender<StoreOp>,
    /// The writer thread, unparked by flushes while it gathers a batch.
    writer: std::thread::Thread,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the store at `path` and starts its writer thread.
    ///
    /// # Errors
    /// When the file or its directory cannot be created or written; the error names the path
    /// and the settings that move it (`ORBITAL_DB`, `[store] path`).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let unwritable = |what: String| {
            StoreError {
            path: path.to_owned(),
            message: format!(
                "{what}; choose a writable file with the environment variable {DB_ENV} or `path` under [store] in orbital.toml"
            ),
        }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                unwritable(format!(
                    "cannot create the directory {}: {e}",
                    dir.display()
                ))
            })?;
        }
        let conn = schema::connect(path)
            .map_err(|e| unwritable(format!("cannot open it for writing: {e}")))?;
        schema::migrate(&conn).map_err(|e| unwritable(format!("cannot write to it: {e}")))?;
        let (tx, rx) = std::sync::mpsc::channel();
        let writer_path = path.to_owned();
        let writer = std::thread::Builder::new()
            .name("orbital-store".into())
            .spawn(move || writer::run(conn, writer_path, rx))
            .map_err(|e| unwritable(format!("cannot start the writer thread: {e}")))?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                tx,
                writer: writer.thread().clone(),
            }),
        })
    }

    /// The SQLite file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Sends a state change to the writer thread; it is committed with the next batch.
    /// (The dispatcher records everything through this; tools and benchmarks may too.)
    pub fn send(&self, op: StoreOp) {
        // The writer thread only ends when every sender is gone.
        let _ = self.inner.tx.send(op);
    }

    /// Waits until everything sent so far is committed.
    ///
    /// # Errors
    /// The first write error since the previous flush.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(StoreOp::Flush(tx));
        self.inner.writer.unpark();
        rx.await.unwrap_or_else(|_| {
            Err(StoreError {
                path: self.inner.path.clone(),
                message: "the store's writer thread stopped".into(),
            })
        })
    }

    /// Waits until everything sent so far is committed, and folds the write-ahead log into the
    /// database file (so the next process opening the store starts fast). The store stays
    /// usable.
    ///
    /// # Errors
    /// The first write error since the previous flush.
    pub async fn close(&self) -> Result<(), StoreError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(StoreOp::Close(tx));
        self.inner.writer.unpark();
        rx.await.unwrap_or_else(|_| {
            Err(StoreError {
                path: self.inner.path.clone(),
                message: "the store's writer thread stopped".into(),
            })
        })
    }

    /// Opens a read connection.
    pub(crate) fn reader(&self) -> Result<rusqlite::Connection, StoreError> {
        reader::open(&self.inner.path)
    }

    /// A stored dispatch with all its nodes.
    ///
    /// # Errors
    /// When the store cannot be read; `Ok(None)` when there is no such dispatch.
    pub fn load(&self, id: &str) -> Result<Option<StoredDispatch>, StoreError> {
        reader::load(&self.reader()?, &self.inner.path, id)
    }

    /// Asks the driver of a running dispatch (in any process) to cancel it, or only `nodes`;
    /// the driver picks the request up within a fraction of a second. `Ok(false)`: no such
    /// dispatch.
    ///
    /// # Errors
    /// When the store cannot be written.
    pub fn request_cancel(&self, id: &str, nodes: &[u32]) -> Result<bool, StoreError> {
        admin::request_cancel(&self.inner.path, id, nodes)
    }

    /// Takes the pending cancel requests of a dispatch (`None`: the whole dispatch).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn take_cancel_requests(
        &self,
        conn: &rusqlite::Connection,
        id: &str,
    ) -> Result<Vec<Option<u32>>, StoreError> {
        admin::take_cancel_requests(conn, &self.inner.path, id)
    }

    /// A connection for a driver's own polling (cancel requests).
    ///
    /// # Errors
    /// When the store cannot be opened.
    pub fn poll_connection(&self) -> Result<rusqlite::Connection, StoreError> {
        admin::write_conn(&self.inner.path)
    }

    /// Marks a dispatch whose driver has stopped as cancelled (or only `nodes` of it).
    /// `Ok(false)`: no such dispatch.
    ///
    /// # Errors
    /// When the store cannot be written.
    pub fn mark_cancelled(&self, id: &str, nodes: &[u32]) -> Result<bool, StoreError> {
        admin::mark_cancelled(&self.inner.path, id, nodes)
    }

    /// Deletes dispatches and their nodes; returns how many dispatches went.
    ///
    /// # Errors
    /// When the store cannot be written.
    pub fn purge(&self, which: Purge) -> Result<usize, StoreError> {
        admin::purge(&self.inner.path, which)
    }

    /// The most recent dispatches, newest first.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn list(&self, limit: usize) -> Result<Vec<DispatchSummary>, StoreError> {
        reader::list(&self.reader()?, &self.inner.path, limit)
    }

    /// The completed nodes of dispatch `id`, by reuse key (what a redispatch of it may copy).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn reusable(
        &self,
        id: &str,
    ) -> Result<rustc_hash::FxHashMap<CacheKey, Reusable>, StoreError> {
        reuse::of_dispatch(&self.reader()?, &self.inner.path, id)
    }

    /// Any completed node with this reuse key, read on `conn` (a connection of the caller's
    /// own, kept for its lookups).
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn cached(
        &self,
        conn: &rusqlite::Connection,
        key: &CacheKey,
    ) -> Result<Option<Reusable>, StoreError> {
        reuse::cached(conn, &self.inner.path, key)
    }

    /// Forgets every reuse key (`orbital purge --cache`): no earlier result is reused after
    /// it, and the results themselves stay. Returns how many nodes had a key.
    ///
    /// # Errors
    /// When the store cannot be written.
    pub fn forget_cache(&self) -> Result<usize, StoreError> {
        reuse::forget(&admin::write_conn(&self.inner.path)?, &self.inner.path)
    }
}
