//! Where a task runs on its host: the per-task working directory an executor asks for.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The working directory settings an executor sends with each task (`workdir`,
/// `create_unique_workdir` and `keep_workdir`, or the executor's own names for them).
///
/// The task's directory is `BASE/DISPATCH/node_N` when `unique`, and `BASE` itself otherwise.
/// A unique directory is removed after the task unless `keep`; a shared one never is.
///
/// ```
/// use orbital_core::Workdir;
/// let w = Workdir { base: "/scratch/work".into(), unique: true, keep: false };
/// assert_eq!(w.dir("0192", 3), std::path::PathBuf::from("/scratch/work/0192/node_3"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workdir {
    /// The base directory. Empty means this host's default (`$TMPDIR/orbital-workdir`); `~/`
    /// is the home directory of whoever runs the task; a relative path is relative to the
    /// directory the task's process starts in.
    pub base: String,
    /// One directory per task (`BASE/DISPATCH/node_N`), or `BASE` itself for every task.
    pub unique: bool,
    /// Keep a unique directory after its task ends.
    pub keep: bool,
}

impl Default for Workdir {
    fn default() -> Self {
        Workdir {
            base: String::new(),
            unique: true,
            keep: false,
        }
    }
}

impl Workdir {
    /// Settings with this base and the defaults otherwise (unique, removed).
    pub fn at(base: impl Into<String>) -> Self {
        Workdir {
            base: base.into(),
            ..Workdir::default()
        }
    }

    /// The base directory on this host, with `~/` and the default resolved.
    pub fn base_dir(&self) -> PathBuf {
        let b = self.base.trim();
        if b.is_empty() {
            return std::env::temp_dir().join("orbital-workdir");
        }
        if b == "~" {
            return dirs::home_dir().unwrap_or_else(|| PathBuf::from("."));
        }
        if let Some(rest) = b.strip_prefix("~/") {
            if let Some(home) = dirs::home_dir() {
                return home.join(rest);
            }
        }
        Path::new(b).to_path_buf()
    }

    /// The directory of node `node` of dispatch `dispatch`.
    pub fn dir(&self, dispatch: &str, node: u32) -> PathBuf {
        let base = self.base_dir();
        if self.unique {
            base.join(dispatch).join(format!("node_{node}"))
        } else {
            base
        }
    }

    /// Whether the task's directory is removed after the task.
    pub fn removes(&self) -> bool {
        self.unique && !self.keep
    }
}
