//! Waiting for a dispatch to end from any process (Covalent's `get_result(id, wait=True)`):
//! the store is watched through SQLite's `PRAGMA data_version` on a connection of its own (a
//! cheap read of a counter that moves when another connection commits), and the dispatch is
//! read again only when it moved. A dispatch whose driver is gone never ends by itself: that
//! is an error that says how to continue it, not a wait for ever.

use std::time::{Duration, Instant};

use super::result::{DispatchResult, Untyped};
use super::runtime::{driver_alive, Runtime};
use crate::error::Error;
use crate::task::identity::host;

/// How often the store's change counter is read.
const TICK: Duration = Duration::from_millis(50);
/// How often the driver is checked while nothing changes.
const DRIVER_CHECK: Duration = Duration::from_secs(1);

impl Runtime {
    /// Waits until the dispatch `dispatch_id` ends, in this process or any other (a detached
    /// driver, another program), and returns its result; at most `timeout` when given.
    ///
    /// ```no_run
    /// # async fn f(rt: orbital_core::Runtime) -> Result<(), orbital_core::Error> {
    /// let r = rt.wait("01a2…", Some(std::time::Duration::from_secs(600))).await?;
    /// println!("{}", r.status());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownDispatch`] at once for an id the store does not hold; [`Error::Wait`]
    /// when the timeout passes, or when the dispatch's driver is gone while it has not ended
    /// (the message says `orbital resume ID` continues it); store errors.
    pub async fn wait(
        &self,
        dispatch_id: &str,
        timeout: Option<Duration>,
    ) -> Result<DispatchResult<Untyped>, Error> {
        let started = Instant::now();
        let conn = self.inner.store().poll_connection()?;
        let mut seen = None;
        let mut checked = Instant::now();
        loop {
            let now = data_version(&conn, dispatch_id)?;
            if seen != Some(now) || checked.elapsed() >= DRIVER_CHECK {
                seen = Some(now);
                checked = Instant::now();
                let stored = self.load(dispatch_id)?;
                if stored.summary.status.is_final() {
                    return Ok(DispatchResult::from_stored(stored));
                }
                // Gone only when it is known to be: a driver on another host cannot be checked.
                let here = stored.driver_host.as_deref() == Some(host().as_str());
                if here && stored.driver_pid.is_some() && !driver_alive(&stored) {
                    return Err(Error::Wait {
                        id: dispatch_id.to_owned(),
                        message: format!(
                            "it is {} and its driver (process {} on {}) is gone, so it will not end by itself; \
                             `orbital resume {dispatch_id}` continues it",
                            stored.summary.status,
                            stored.driver_pid.unwrap_or_default(),
                            stored.driver_host.as_deref().unwrap_or("an unknown host")
                        ),
                    });
                }
            }
            if let Some(limit) = timeout {
                if started.elapsed() >= limit {
                    return Err(Error::Wait {
                        id: dispatch_id.to_owned(),
                        message: format!(
                            "it did not end within {}; it goes on (`orbital show {dispatch_id}` shows how far it is)",
                            humantime::format_duration(limit)
                        ),
                    });
                }
            }
            tokio::time::sleep(TICK).await;
        }
    }
}

/// The store's change counter, as this connection sees it.
fn data_version(conn: &rusqlite::Connection, id: &str) -> Result<i64, Error> {
    conn.query_row("PRAGMA data_version", [], |r| r.get(0))
        .map_err(|e| Error::Wait {
            id: id.to_owned(),
            message: format!("the store cannot be read: {e}"),
        })
}

/// Waits for a dispatch to end, on the global runtime's store (see [`Runtime::wait`]).
///
/// ```no_run
/// # async fn f() -> Result<(), orbital_core::Error> {
/// let result = orbital_core::wait("01a2…").await?;
/// println!("{}", result.status());
/// # Ok(()) }
/// ```
///
/// # Errors
/// See [`Runtime::wait`].
pub async fn wait(dispatch_id: &str) -> Result<DispatchResult<Untyped>, Error> {
    Runtime::global()?.wait(dispatch_id, None).await
}
