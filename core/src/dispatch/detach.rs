//! Detached dispatches: a dispatch handed to a background process of this same program, which
//! drives it to its end while the caller (and its terminal) may go away.
//!
//! [`Runtime::submit`] stores the dispatch and its nodes (all `NEW`), then starts this
//! executable as `--orbital-resume ID` in a session of its own (`setsid`), with its standard
//! streams in `drivers/ID/driver.log` beside the store, and `ORBITAL_DB` and a copy of the
//! runtime's configuration (`drivers/ID/orbital.toml`) in its environment. That process resumes
//! the dispatch, so nothing is computed twice; `orbital list` names it as the driver, and says
//! when it is gone. `--orbital-detach` on the command line of a program makes its first
//! dispatch a detached one (see [`request_detach`]).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use super::detach_flag::{detach_requested, request_detach};
use super::run;
use super::runtime::Runtime;
use crate::config::{CONFIG_DIR_ENV, DB_ENV};
use crate::error::Error;
use crate::graph::registry::Registry;
use crate::graph::workflow::Workflow;
use crate::runner::RESUME_ARG;
use crate::store::StoreOp;

/// The directory of a detached dispatch's driver: `drivers/ID` beside the store file.
///
/// ```
/// let dir = orbital_core::detach::driver_dir("/data/orbital.db".as_ref(), "0192");
/// assert_eq!(dir, std::path::Path::new("/data/drivers/0192"));
/// ```
pub fn driver_dir(store: &Path, id: &str) -> PathBuf {
    store
        .parent()
        .unwrap_or_else(|| Path::new("."))
        .join("drivers")
        .join(id)
}

/// The log of a detached dispatch's driver (its stdout and stderr): what
/// `orbital logs ID --driver` shows.
///
/// ```
/// let log = orbital_core::detach::driver_log("/data/orbital.db".as_ref(), "0192");
/// assert_eq!(log, std::path::Path::new("/data/drivers/0192/driver.log"));
/// ```
pub fn driver_log(store: &Path, id: &str) -> PathBuf {
    driver_dir(store, id).join("driver.log")
}

impl Runtime {
    /// Dispatches a workflow to a driver of its own, a background process of this program, and
    /// returns its id once that process has started. This process may then exit: the dispatch
    /// goes on, `orbital list` shows its driver, and [`Runtime::wait`], `orbital wait ID` or
    /// [`Runtime::get_result`] read its end from any process.
    ///
    /// The program must select its mode first (`#[orbital::main]`, or `orbital::init()` as the
    /// first line of `main`), because the driver is this executable started with
    /// `--orbital-resume ID`.
    ///
    /// Under `--orbital-detach` the program ends here, as at a `dispatch`: it prints the id
    /// and exits with 0.
    ///
    /// ```no_run
    /// # async fn f(rt: orbital_core::Runtime, wf: orbital_core::Workflow<u32>) -> orbital_core::Result<()> {
    /// let id = rt.submit(wf).await?;
    /// println!("dispatched {id}; `orbital wait {id}` waits for it");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::Detach`] when the driver's directory beside the store cannot be written (nothing
    /// is stored then) or the driver cannot be started (the dispatch is stored, and
    /// `orbital resume ID` drives it); the errors of [`Runtime::dispatch`].
    pub async fn submit<T>(&self, workflow: Workflow<T>) -> Result<String, Error> {
        let id = uuid::Uuid::now_v7().to_string();
        let id = self.submit_as(id, workflow, None).await?;
        if super::detach_flag::detach_requested() {
            // `--orbital-detach`: the program ends at its first dispatch, submitted or not.
            super::detach_flag::announce_and_exit(&id);
        }
        Ok(id)
    }

    /// [`Runtime::submit`] of a dispatch with this id, reusing `reuse_of`'s completed nodes.
    pub(super) async fn submit_as<T>(
        &self,
        id: String,
        workflow: Workflow<T>,
        reuse_of: Option<String>,
    ) -> Result<String, Error> {
        Registry::get()?;
        if !workflow.errors.is_empty() {
            return Err(Error::Build {
                lattice: workflow.lattice.name.to_owned(),
                errors: workflow.errors,
            });
        }
        let refuse = |message: String| Error::Detach {
            id: id.clone(),
            message,
        };
        let store = self.store_path().to_owned();
        let dir = driver_dir(&store, &id);
        let exe = std::env::current_exe()
            .map_err(|e| refuse(format!("cannot find this program's executable: {e}")))?;
        // Everything the driver needs, before anything is stored.
        let log = prepare_dir(&dir, &id, &self.config().to_toml()).map_err(|e| {
            refuse(format!(
                "cannot write its driver's directory {}: {e}. The driver's log and \
                 configuration go there, beside the store; make {} writable, or put the store \
                 elsewhere with `[store] path` in orbital.toml or ORBITAL_DB",
                dir.display(),
                dir.parent()
                    .and_then(Path::parent)
                    .unwrap_or(&dir)
                    .display()
            ))
        })?;
        let begin = run::Begin {
            resume: None,
            reuse_of,
        };
        run::store_detached(&self.inner, id.clone(), workflow, begin)?;
        self.store().flush().await?;
        let child = spawn_driver(&exe, &id, &store, &dir, log).map_err(|e| {
            refuse(format!(
                "it is stored, but its driver ({} {RESUME_ARG} {id}) did not start: {e}; \
                 `orbital resume {id}` drives it",
                exe.display()
            ))
        })?;
        self.store().send(StoreOp::Driver {
            id: id.as_str().into(),
            driver_pid: child.id(),
            driver_host: crate::task::identity::host(),
        });
        self.store().flush().await?;
        tracing::info!(dispatch = %id, driver = child.id(), log = %dir.display(), "detached");
        // Reap the driver if it ends while this process lives (no zombie).
        std::thread::spawn(move || {
            let mut child = child;
            let _ = child.wait();
        });
        Ok(id)
    }
}

/// Makes the driver's directory, writes its configuration, and opens its log. The
/// configuration may hold executors' secrets, so only its owner may read it.
fn prepare_dir(dir: &Path, id: &str, config: &str) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(dir.join("orbital.toml"))?;
    file.write_all(config.as_bytes())?;
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("driver.log"))?;
    writeln!(log, "orbital: the detached driver of dispatch {id}")?;
    Ok(log)
}

/// Starts `exe --orbital-resume ID` in a new session, its output to `log`.
fn spawn_driver(
    exe: &Path,
    id: &str,
    store: &Path,
    dir: &Path,
    log: std::fs::File,
) -> std::io::Result<std::process::Child> {
    use std::os::unix::process::CommandExt;
    let err = log.try_clone()?;
    let mut cmd = Command::new(exe);
    cmd.arg(RESUME_ARG)
        .arg(id)
        .env(DB_ENV, store)
        .env(CONFIG_DIR_ENV, dir)
        .env("ORBITAL_PROGRESS", "0")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err);
    // SAFETY: `setsid` is async-signal-safe, and the closure touches nothing else.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.spawn()
}
