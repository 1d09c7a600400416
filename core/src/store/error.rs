//! The store's one error type.

use std::path::{Path, PathBuf};

/// The results store could not be opened, read or written.
#[derive(Debug, Clone, thiserror::Error)]
#[error("results store {}: {message}", .path.display())]
pub struct StoreError {
    /// The SQLite file.
    pub path: PathBuf,
    /// What went wrong, and what to do.
    pub message: String,
}

impl StoreError {
    pub(crate) fn sqlite(path: &Path, doing: &str, e: rusqlite::Error) -> StoreError {
        StoreError {
            path: path.to_owned(),
            message: format!("{doing}: {e}"),
        }
    }
}
