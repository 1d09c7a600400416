//! Helpers shared by the integration tests: a runtime of their own with a temporary store.

#![allow(dead_code)]

use std::future::Future;
use std::path::Path;
use std::time::Duration;

/// A runtime with default configuration and its store in `dir`.
pub fn runtime(dir: &tempfile::TempDir) -> orbital::Result<orbital::Runtime> {
    orbital::Runtime::builder()
        .store_path(dir.path().join("o.db"))
        .config(orbital::Config::default())
        .build()
}

/// A runtime configured by `toml` (as if read from `orbital.toml`) with its store in `dir`.
pub fn runtime_with(dir: &tempfile::TempDir, toml: &str) -> orbital::Result<orbital::Runtime> {
    let config = orbital::Config::parse(toml, Path::new("test-orbital.toml"))?;
    orbital::Runtime::builder()
        .store_path(dir.path().join("o.db"))
        .config(config)
        .build()
}

/// A guard against hangs: fails the test (instead of hanging it) when `fut` takes longer than
/// `secs`. Never a timing assertion: the limits are far above what the work needs.
pub async fn within<F: Future>(secs: u64, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(secs), fut).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within {secs}s (hang guard)"),
    }
}
