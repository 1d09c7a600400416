//! The runtime: configuration, results store and executors, shared by every dispatch.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::handle::Dispatch;
use super::result::{DispatchResult, Untyped};
use super::run;
use super::shared::Shared;
use crate::config::Config;
use crate::data::Data;
use crate::error::Error;
use crate::executor::ExecutorRef;
use crate::graph::registry::Registry;
use crate::graph::workflow::Workflow;
use crate::status::DispatchStatus;
use crate::store::{self, DispatchSummary, Store, StoredDispatch};

/// Configuration, results store and executors: what dispatches share.
///
/// Most programs use the global runtime implicitly (`my_lattice::dispatch(..)`), configured
/// from `orbital.toml` and the environment. Tests and tools build their own:
///
/// ```no_run
/// # async fn f() -> orbital_core::Result<()> {
/// let rt = orbital_core::Runtime::builder().store_path("/tmp/orbital-test.db").build()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Runtime {
    pub(super) inner: Arc<Shared>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.inner.config().file)
            .field("store", &self.inner.store().path())
            .finish_non_exhaustive()
    }
}

/// Builds a [`Runtime`].
#[derive(Debug, Default)]
pub struct RuntimeBuilder {
    config: Option<Config>,
    config_file: Option<PathBuf>,
    store_path: Option<PathBuf>,
}

impl RuntimeBuilder {
    /// Uses this configuration instead of reading `orbital.toml`.
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Reads the configuration from this file instead of the default place.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Keeps results in this SQLite file.
    pub fn store_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.store_path = Some(path.into());
        self
    }

    /// Reads the configuration and opens the store.
    ///
    /// # Errors
    /// When the configuration cannot be read or parsed, or the store cannot be opened.
    pub fn build(self) -> Result<Runtime, Error> {
        let config = match (self.config, self.config_file) {
            (Some(c), _) => c,
            (None, Some(f)) => Config::load_from(&f)?,
            (None, None) => Config::load()?,
        };
        let path = self
            .store_path
            .unwrap_or_else(|| store::default_path(&config));
        let store = Store::open(&path)?;
        Ok(Runtime {
            inner: Arc::new(Shared::new(config, store)),
        })
    }
}

static GLOBAL: Mutex<Option<Runtime>> = Mutex::new(None);

impl Runtime {
    /// A builder for a runtime of your own.
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::default()
    }

    /// The process's runtime, built on first use from `orbital.toml` and the environment
    /// (`ORBITAL_CONFIG_DIR`, `ORBITAL_DB`, `ORBITAL_DATA_DIR`).
    ///
    /// # Errors
    /// When the configuration or the store cannot be opened (tried again on the next call).
    pub fn global() -> Result<Runtime, Error> {
        let mut g = GLOBAL.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rt) = g.as_ref() {
            return Ok(rt.clone());
        }
        let rt = Runtime::builder().build()?;
        *g = Some(rt.clone());
        Ok(rt)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        self.inner.config()
    }

    /// The results store.
    pub fn store(&self) -> &Store {
        self.inner.store()
    }

    /// The names of the executors a node may name: the built-in `local` and `process`, and every
    /// `[executors.NAME]`.
    pub fn executor_names(&self) -> Vec<String> {
        self.inner.executor_names()
    }

    /// The executor configured as `name` (`local` needs no configuration), built once.
    ///
    /// # Errors
    /// [`Error::UnknownExecutor`] (listing the configured names) or
    /// [`Error::ExecutorConfig`] when its table does not describe a valid executor.
    pub fn executor(&self, name: &str) -> Result<ExecutorRef, Error> {
        self.inner.executor(name)
    }

    /// Dispatches a built workflow on this runtime.
    ///
    /// # Errors
    /// When the workflow could not be built, names an unknown executor, or the program has
    /// two electrons of one name; nothing is stored then.
    pub async fn dispatch<T: Data>(&self, workflow: Workflow<T>) -> Result<Dispatch<T>, Error> {
        Registry::get()?;
        if !workflow.errors.is_empty() {
            return Err(Error::Build {
                lattice: workflow.lattice.name.to_owned(),
                errors: workflow.errors,
            });
        }
        if super::detach_flag::detach_requested() {
            // `--orbital-detach`: this dispatch goes to a driver of its own, and the program ends.
            let id = self.submit(workflow).await?;
            super::detach_flag::announce_and_exit(&id);
        }
        let id = uuid::Uuid::now_v7().to_string();
        run::start(self.inner.clone(), id, workflow, run::Begin::new())
    }

    /// Resumes a dispatch whose driver stopped (killed, crashed, or the machine restarted):
    /// the lattice is built again from its stored inputs, completed nodes keep their stored
    /// outputs and do not run again, and the rest runs.
    ///
    /// The program must hold the dispatch's lattice (the same build, or one that builds the same
    /// graph); `orbital resume <id>` runs the program that dispatched it.
    ///
    /// # Errors
    /// [`Error::UnknownDispatch`]; [`Error::Resume`] when the dispatch has ended, its driver is
    /// still running, this program does not hold its lattice, or builds it differently.
    pub async fn resume(&self, dispatch_id: &str) -> Result<Dispatch<Untyped>, Error> {
        let registry = Registry::get()?;
        let stored = self.load(dispatch_id)?;
        let refuse = |message: String| Error::Resume {
            id: dispatch_id.to_owned(),
            message,
        };
        let status = stored.summary.status;
        if status.is_final() {
            return Err(refuse(format!(
                "it has already ended ({status}); there is nothing left to run"
            )));
        }
        if let Some(pid) = stored.driver_pid.filter(|&p| p != std::process::id()) {
            if driver_alive(&stored) {
                return Err(refuse(format!(
                    "its driver (process {pid}) is still running; cancel it first with `orbital cancel {dispatch_id}`, or wait"
                )));
            }
        }
        let lattice = registry.lattice(&stored.summary.lattice).ok_or_else(|| {
            refuse(format!(
                "this program holds no lattice `{}`; run the program that dispatched it ({})",
                stored.summary.lattice,
                stored.program.as_deref().unwrap_or("unknown")
            ))
        })?;
        let inputs: Vec<bytes::Bytes> = crate::codec::decode(&stored.inputs)?;
        let workflow: Workflow<Untyped> = Workflow::rebuild(lattice, inputs).map_err(refuse)?;
        run::start(
            self.inner.clone(),
            dispatch_id.to_owned(),
            workflow,
            run::Begin {
                resume: Some(stored),
                reuse_of: None,
            },
        )
    }

    /// Cancels a dispatch (or only `nodes` of it) from any process: the driver running it is
    /// asked to cancel (it notices within a fraction of a second); a dispatch whose driver has
    /// stopped is marked cancelled in the store directly.
    ///
    /// # Errors
    /// [`Error::UnknownDispatch`], or a store error.
    pub fn cancel(&self, dispatch_id: &str, nodes: &[u32]) -> Result<CancelOutcome, Error> {
        let stored = self.load(dispatch_id)?;
        let status = stored.summary.status;
        if status.is_final() {
            return Ok(CancelOutcome::AlreadyEnded(status));
        }
        if driver_alive(&stored) {
            self.inner.store().request_cancel(dispatch_id, nodes)?;
            Ok(CancelOutcome::Requested)
        } else {
            self.inner.store().mark_cancelled(dispatch_id, nodes)?;
            Ok(CancelOutcome::DriverGone)
        }
    }

    /// The result of a dispatch, from the store (this process's or another's).
    ///
    /// # Errors
    /// [`Error::UnknownDispatch`] when the store holds no such dispatch.
    pub fn get_result(&self, dispatch_id: &str) -> Result<DispatchResult<Untyped>, Error> {
        Ok(DispatchResult::from_stored(self.load(dispatch_id)?))
    }

    /// The most recent dispatches in the store, newest first.
    ///
    /// # Errors
    /// When the store cannot be read.
    pub fn list(&self, limit: usize) -> Result<Vec<DispatchSummary>, Error> {
        Ok(self.inner.store().list(limit)?)
    }

    /// Waits until every state change is stored and folds the store's write-ahead log into its
    /// file. `#[orbital::main]` calls this on the global runtime when `main` returns.
    ///
    /// # Errors
    /// The first store write error not yet reported.
    pub async fn shutdown(&self) -> Result<(), Error> {
        Ok(self.inner.store().close().await?)
    }

    /// The global runtime, if it was built.
    pub fn global_if_built() -> Option<Runtime> {
        GLOBAL.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The store's file.
    pub fn store_path(&self) -> &Path {
        self.inner.store().path()
    }
}

impl Runtime {
    /// A stored dispatch, or [`Error::UnknownDispatch`] naming the store.
    pub(super) fn load(&self, dispatch_id: &str) -> Result<StoredDispatch, Error> {
        self.inner
            .store()
            .load(dispatch_id)?
            .ok_or_else(|| Error::UnknownDispatch {
                id: dispatch_id.to_owned(),
                store: self.inner.store().path().to_owned(),
            })
    }
}

/// Whether a stored dispatch's driver is a live process on this host.
pub(super) fn driver_alive(stored: &StoredDispatch) -> bool {
    stored.driver_host.as_deref() == Some(crate::task::identity::host().as_str())
        && stored
            .driver_pid
            .is_some_and(crate::task::identity::process_alive)
}

/// What [`Runtime::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The running driver was asked to cancel.
    Requested,
    /// The dispatch's driver had stopped: the store now says cancelled.
    DriverGone,
    /// The dispatch had already ended; nothing changed.
    AlreadyEnded(DispatchStatus),
}

/// Resumes a dispatch on the global runtime (see [`Runtime::resume`]).
///
/// # Errors
/// See [`Runtime::resume`].
pub async fn resume(dispatch_id: &str) -> Result<Dispatch<Untyped>, Error> {
    Runtime::global()?.resume(dispatch_id).await
}

/// The result of a dispatch, read from the global runtime's store; works from any process.
///
/// # Errors
/// [`Error::UnknownDispatch`] when there is no such dispatch; store and configuration errors.
pub fn get_result(dispatch_id: &str) -> Result<DispatchResult<Untyped>, Error> {
    Runtime::global()?.get_result(dispatch_id)
}
