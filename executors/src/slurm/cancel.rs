//! Cancelling a job or array element: the cancels that come together share one `scancel`.

use std::time::Duration;

use orbital_core::JobHandle;

use super::config::SlurmExecutor;
use super::handle::Handle;

/// How long cancels are gathered before one `scancel` takes them all.
const CANCEL_GATHER: Duration = Duration::from_millis(25);

impl SlurmExecutor {
    /// Cancels a job or array element; cancels that come together share one `scancel`.
    pub(super) async fn cancel_job(&self, job: &JobHandle) -> Result<(), String> {
        let h = Handle::parse(job);
        let (tx, rx) = tokio::sync::oneshot::channel();
        let first = {
            let mut q = self.state.cancels.lock().unwrap_or_else(|p| p.into_inner());
            q.push((h.element.to_owned(), tx));
            q.len() == 1
        };
        if first {
            let (state, t, prefix) = (self.state.clone(), self.transport(), self.path_prefix());
            tokio::spawn(async move {
                tokio::time::sleep(CANCEL_GATHER).await;
                let batch =
                    std::mem::take(&mut *state.cancels.lock().unwrap_or_else(|p| p.into_inner()));
                let ids: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
                let result = match t
                    .sh(&format!("{prefix}scancel {}", ids.join(" ")), None)
                    .await
                {
                    Ok(o) if o.ok() => Ok(()),
                    Ok(o) => Err(format!("scancel {} failed: {}", ids.join(" "), o.stderr)),
                    Err(e) => Err(e),
                };
                tracing::debug!(jobs = ids.len(), ok = result.is_ok(), "scancel");
                for (_, tx) in batch {
                    let _ = tx.send(result.clone());
                }
            });
        }
        rx.await
            .unwrap_or_else(|_| Err("the cancel was dropped".to_owned()))
    }
}
