//! The running task's context: `orbital::context()` inside an electron (or its `call_before`
//! and `call_after` functions) gives the dispatch, the node, the attempt, the executor, the
//! working directory and the transferred files, on every executor.

use std::any::Any;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use crate::task::{ElectronDef, TaskFile, TaskSpec};

tokio::task_local! {
    static CONTEXT: TaskContext;
}

/// The context of the task that is running: see [`context`].
///
/// Cheap to clone (one reference count).
#[derive(Clone)]
pub struct TaskContext(Arc<Inner>);

struct Inner {
    dispatch_id: String,
    node_id: u32,
    name: &'static str,
    electron: &'static str,
    attempt: u32,
    executor: String,
    workdir: PathBuf,
    /// Set once the directory exists (made before the call, or on first ask).
    made: OnceLock<Result<(), String>>,
    files: RwLock<Vec<TaskFile>>,
    values: RwLock<Vec<(&'static str, Arc<dyn Any + Send + Sync>)>>,
}

/// `orbital::context()` was called where no task is running.
///
/// ```
/// let e = orbital_core::around::context().unwrap_err();
/// assert!(e.to_string().contains("outside a running electron"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "orbital::context() was called outside a running electron: a task's context exists only while \
     its electron runs (with its call_before and call_after functions) on an executor; \
     `NAME::call(..)` runs the bare function, without one"
)]
pub struct NoContext;

/// The context of the running task.
///
/// Inside an electron, and in its `call_before` and `call_after` functions, on any executor.
/// Elsewhere (in `main`, in a lattice body, in a thread or tokio task the electron spawned) it
/// is an error.
///
/// ```
/// use orbital_core::around::context;
/// assert!(context().is_err()); // not inside an electron
/// ```
///
/// # Errors
/// [`NoContext`] outside a running electron.
pub fn context() -> Result<TaskContext, NoContext> {
    CONTEXT.try_with(TaskContext::clone).map_err(|_| NoContext)
}

impl TaskContext {
    /// The context of `spec`'s task, whose working directory is `workdir`.
    pub fn new(spec: &TaskSpec, def: &'static ElectronDef, workdir: PathBuf) -> Self {
        TaskContext(Arc::new(Inner {
            dispatch_id: spec.dispatch_id.clone(),
            node_id: spec.node_id,
            name: def.fn_name,
            electron: def.name,
            attempt: spec.attempt,
            executor: spec.executor.clone(),
            workdir,
            made: OnceLock::new(),
            files: RwLock::new(Vec::new()),
            values: RwLock::new(Vec::new()),
        }))
    }

    /// The dispatch this task belongs to.
    pub fn dispatch_id(&self) -> &str {
        &self.0.dispatch_id
    }

    /// The task's node in its dispatch.
    pub fn node_id(&self) -> u32 {
        self.0.node_id
    }

    /// The node's name: the electron function's own name (`square`).
    pub fn name(&self) -> &'static str {
        self.0.name
    }

    /// The electron's registered name (`my_crate::stages::square`).
    pub fn electron(&self) -> &'static str {
        self.0.electron
    }

    /// The attempt, from 1; it rises by one with each retry.
    pub fn attempt(&self) -> u32 {
        self.0.attempt
    }

    /// The name the task's executor is configured under (`local`, `ssh`, `gpu`...).
    pub fn executor(&self) -> &str {
        &self.0.executor
    }

    /// The task's working directory, created on first ask when it does not exist yet.
    ///
    /// In a task process (every executor but `local`) it is also the current directory. The
    /// `local` executor runs many tasks in one process, so there use this path (or
    /// [`TaskContext::path`]) instead of relative paths.
    pub fn workdir(&self) -> &Path {
        let _ = self.ensure_workdir();
        &self.0.workdir
    }

    /// `rel` in the task's working directory.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.workdir().join(rel)
    }

    /// The task's transferred files, in the order of its `files` option: those fetched
    /// before the call, and those to be sent after it (write them there).
    pub fn files(&self) -> Vec<TaskFile> {
        self.0.files.read().map(|f| f.clone()).unwrap_or_default()
    }

    /// The local path of the file transferred from or to `remote_or_local`: a remote location
    /// as written in `files` (placeholders filled in), or a local path as written.
    pub fn file(&self, remote_or_local: &str) -> Option<PathBuf> {
        let files = self.0.files.read().ok()?;
        files
            .iter()
            .find(|f| f.remote == remote_or_local || f.path.ends_with(remote_or_local))
            .map(|f| f.path.clone())
    }

    /// The value the first `call_before` function returning a `T` returned (Covalent's
    /// `retval_keyword`, typed).
    pub fn value<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let values = self.0.values.read().ok()?;
        values
            .iter()
            .find_map(|(_, v)| v.clone().downcast::<T>().ok())
    }

    /// The value the `call_before` function `name` (as written in the option) returned.
    pub fn value_of<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        let values = self.0.values.read().ok()?;
        values
            .iter()
            .filter(|(n, _)| *n == name)
            .find_map(|(_, v)| v.clone().downcast::<T>().ok())
    }

    /// Makes the working directory if it is not made yet.
    pub(crate) fn ensure_workdir(&self) -> Result<(), String> {
        self.0
            .made
            .get_or_init(|| {
                std::fs::create_dir_all(&self.0.workdir).map_err(|e| {
                    format!(
                        "cannot create the task's working directory {}: {e}",
                        self.0.workdir.display()
                    )
                })
            })
            .clone()
    }

    /// Whether the working directory was made (and so may need removing).
    pub(crate) fn workdir_made(&self) -> bool {
        matches!(self.0.made.get(), Some(Ok(())))
    }

    pub(crate) fn workdir_path(&self) -> &Path {
        &self.0.workdir
    }

    pub(crate) fn push_file(&self, file: TaskFile) {
        if let Ok(mut files) = self.0.files.write() {
            files.push(file);
        }
    }

    pub(crate) fn push_value(&self, name: &'static str, value: Arc<dyn Any + Send + Sync>) {
        if let Ok(mut values) = self.0.values.write() {
            values.push((name, value));
        }
    }

    /// Runs `f` with this context installed.
    pub(crate) fn sync_scope<R>(&self, f: impl FnOnce() -> R) -> R {
        CONTEXT.sync_scope(self.clone(), f)
    }

    /// Polls `fut` with this context installed.
    pub(crate) async fn scope<F: std::future::Future>(&self, fut: F) -> F::Output {
        CONTEXT.scope(self.clone(), fut).await
    }
}

impl fmt::Debug for TaskContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskContext")
            .field("dispatch_id", &self.0.dispatch_id)
            .field("node_id", &self.0.node_id)
            .field("name", &self.0.name)
            .field("attempt", &self.0.attempt)
            .field("executor", &self.0.executor)
            .field("workdir", &self.0.workdir)
            .finish_non_exhaustive()
    }
}
