//! What a host is: the shared probe (`ship/probe.rs`) run once over the host's connection,
//! unless the executor's `target` says it.

use std::time::{Duration, Instant};

use super::config::SshExecutor;
use super::connection::Host;
use crate::ship::probe;
use crate::ship::program::{needs_probe, target_of};
use crate::ship::target::Target;

impl Host {
    /// The target of the host (asked once per connection key), or the `target` setting, and
    /// how long asking took.
    pub(super) async fn target(&self, cfg: &SshExecutor) -> Result<(Target, Duration), String> {
        let settings = cfg.shipping();
        if !needs_probe(&settings) {
            return Ok((target_of(&settings, None)?, Duration::ZERO));
        }
        let t0 = Instant::now();
        let probed = self
            .target
            .get_or_try_init(|| async {
                let said = self
                    .sh(cfg, probe::SCRIPT)
                    .await
                    .map_err(|e| format!("cannot ask the host what it is: {e}"))?;
                let t = probe::parse(&said).map_err(|e| e.to_string())?;
                tracing::debug!(host = %cfg.destination(), target = %t, "probed the host");
                Ok::<_, String>(t)
            })
            .await?;
        Ok((*probed, t0.elapsed()))
    }
}
