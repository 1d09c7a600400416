//! The error type of orbital's API.

use std::path::PathBuf;

use crate::codec::CodecError;
use crate::config::ConfigError;
use crate::graph::registry::DuplicateName;
use crate::status::DispatchStatus;
use crate::store::StoreError;

/// `Result<T, orbital::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One failed node, as named in [`Error::DispatchFailed`].
#[derive(Debug, Clone)]
pub struct NodeFailure {
    /// The node id.
    pub node: u32,
    /// Its name.
    pub name: String,
    /// Why it failed.
    pub error: String,
}

impl std::fmt::Display for NodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "node {} `{}`: {}", self.node, self.name, self.error)
    }
}

fn failures(list: &[NodeFailure]) -> String {
    if list.is_empty() {
        return "no node failed".into();
    }
    let mut s: Vec<String> = list.iter().take(5).map(ToString::to_string).collect();
    if list.len() > 5 {
        s.push(format!("and {} more", list.len() - 5));
    }
    s.join("; ")
}

fn configured_list(names: &[String], file: &Option<PathBuf>) -> String {
    let list = if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    };
    match file {
        Some(f) => format!("configured executors: {list} (in {})", f.display()),
        None => format!("configured executors: {list} (no orbital.toml found; see `orbital_core::Config::default_path`)"),
    }
}

/// Everything that can go wrong in orbital's API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// `orbital.toml` could not be read or parsed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Two electrons or lattices share a registered name.
    #[error(transparent)]
    Registry(#[from] DuplicateName),
    /// The results store could not be opened, read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A value could not be encoded or decoded.
    #[error(transparent)]
    Codec(#[from] CodecError),
    /// `executor = "name"` names no configured executor.
    #[error("unknown executor `{name}`; {}; add an [executors.{name}] table to orbital.toml, or use one of those", configured_list(.configured, .file))]
    UnknownExecutor {
        /// The name asked for.
        name: String,
        /// The names that are configured (`local` is always there).
        configured: Vec<String>,
        /// The file they came from.
        file: Option<PathBuf>,
    },
    /// `[executors.NAME]` does not describe a valid executor.
    #[error("executor `{name}` ({}): {message}", .file.as_ref().map_or("built-in defaults".to_owned(), |f| f.display().to_string()))]
    ExecutorConfig {
        /// The executor's name.
        name: String,
        /// The file.
        file: Option<PathBuf>,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No dispatch with this id is in the results store.
    #[error("no dispatch `{id}` in the results store {}; `orbital list` shows the dispatches it holds", .store.display())]
    UnknownDispatch {
        /// The id asked for.
        id: String,
        /// The store that was searched.
        store: PathBuf,
    },
    /// The lattice body could not be built into a graph.
    #[error("lattice `{lattice}` could not be built: {}", .errors.join("; "))]
    Build {
        /// The lattice.
        lattice: String,
        /// What went wrong.
        errors: Vec<String>,
    },
    /// The dispatch ended without its output.
    #[error("dispatch {id} ended {status} without an output: {}", if .failed.is_empty() && *.status == DispatchStatus::Cancelled { "it was cancelled before its output was computed".to_owned() } else { failures(.failed) })]
    DispatchFailed {
        /// The dispatch.
        id: String,
        /// How it ended.
        status: DispatchStatus,
        /// The nodes that failed.
        failed: Vec<NodeFailure>,
    },
    /// The output is of another type than the one asked for.
    #[error("dispatch {id}: the output is a `{stored}`, not a `{asked}`")]
    OutputType {
        /// The dispatch.
        id: String,
        /// The type recorded with the lattice.
        stored: String,
        /// The type asked for.
        asked: &'static str,
    },
    /// A dispatch cannot be resumed.
    #[error("cannot resume dispatch {id}: {message}")]
    Resume {
        /// The dispatch.
        id: String,
        /// Why, and what to do.
        message: String,
    },
    /// Waiting for a dispatch to end could not go on.
    #[error("cannot wait for dispatch {id}: {message}")]
    Wait {
        /// The dispatch.
        id: String,
        /// Why, and what to do.
        message: String,
    },
    /// A dispatch could not be handed to a driver of its own.
    #[error("cannot detach dispatch {id}: {message}")]
    Detach {
        /// The dispatch (not stored when its driver's directory could not be made).
        id: String,
        /// Why, and what to do.
        message: String,
    },
    /// A redispatch could not start.
    #[error("cannot redispatch {id}: {message}")]
    Redispatch {
        /// The earlier dispatch.
        id: String,
        /// Why, and what to do.
        message: String,
    },
    /// The call needs a tokio runtime and there is none.
    #[error("{what} needs a tokio runtime: use #[orbital::main] (or #[tokio::main]) on main")]
    NoRuntime {
        /// What was called.
        what: &'static str,
    },
    /// The dispatcher task ended without reporting (a bug: please report it).
    #[error("the dispatcher of {id} stopped without reporting its end")]
    Lost {
        /// The dispatch.
        id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(node: u32) -> NodeFailure {
        NodeFailure {
            node,
            name: format!("step{node}"),
            error: format!("broke {node}"),
        }
    }

    #[test]
    fn a_failed_dispatch_names_its_first_five_failures_and_counts_the_rest() {
        let e = Error::DispatchFailed {
            id: "d1".into(),
            status: DispatchStatus::Failed,
            failed: (0..7).map(failure).collect(),
        };
        let text = e.to_string();
        assert!(
            text.starts_with(
                "dispatch d1 ended FAILED without an output: node 0 `step0`: broke 0; "
            ),
            "{text}"
        );
        assert!(
            text.contains("node 4 `step4`: broke 4; and 2 more"),
            "{text}"
        );
        assert!(!text.contains("step5"), "{text}");

        let e = Error::DispatchFailed {
            id: "d2".into(),
            status: DispatchStatus::Cancelled,
            failed: Vec::new(),
        };
        assert_eq!(
            e.to_string(),
            "dispatch d2 ended CANCELLED without an output: it was cancelled before its output was computed"
        );
    }

    #[test]
    fn an_unknown_executor_lists_the_configured_ones_and_their_file() {
        let e = Error::UnknownExecutor {
            name: "gpu".into(),
            configured: vec!["local".into(), "ssh".into()],
            file: Some(PathBuf::from("/etc/orbital.toml")),
        };
        let text = e.to_string();
        assert!(text.starts_with("unknown executor `gpu`; "), "{text}");
        assert!(
            text.contains("configured executors: local, ssh (in /etc/orbital.toml)"),
            "{text}"
        );
        assert!(text.contains("add an [executors.gpu] table"), "{text}");
    }
}
