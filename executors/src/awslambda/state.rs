//! What an awslambda executor keeps between calls: its AWS clients, the package, the function
//! as last deployed (a [`Deployment`]) and the functions it created.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::OnceCell;

use super::package::Package;

/// What the executor keeps between calls (its clones share it).
#[derive(Default)]
pub(super) struct LambdaState {
    pub(super) clients: OnceCell<Clients>,
    pub(super) package: OnceCell<Arc<Package>>,
    /// The function as deployed by the last check (name, and the build it runs).
    pub(super) deployed: tokio::sync::Mutex<Option<Deployment>>,
    /// Functions this executor created (deleted at the end with `cleanup`).
    pub(super) created: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for LambdaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaState").finish_non_exhaustive()
    }
}

/// The AWS clients, made once per executor.
#[derive(Clone)]
pub(super) struct Clients {
    pub(super) lambda: aws_sdk_lambda::Client,
    pub(super) s3: aws_sdk_s3::Client,
    /// Who the credentials are, as STS said (`None` when the endpoint has no STS).
    pub(super) caller_arn: Option<String>,
}

/// A function ready for invokes, and what it took to get there.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The function's name.
    pub function_name: String,
    /// The build identity of its `bootstrap` (each spec carries it).
    pub build_id: String,
    /// What the deploy did: `unchanged`, `reconfigured` (memory or timeout set), `updated`
    /// (the code, and the settings if they changed) or `created`.
    pub action: &'static str,
    /// Time of `cargo zigbuild` when the program was built again for the function (zero when
    /// the running executable was deployed).
    pub build_time: Duration,
    /// Time to build the package (strip, zip), zero when it was already built.
    pub package_time: Duration,
    /// Time of the create or update call (upload included).
    pub upload_time: Duration,
    /// Time until the function was Active and its update Successful.
    pub settle_time: Duration,
    /// Size of the zip, bytes.
    pub zip_bytes: usize,
    /// Size of `bootstrap`, bytes.
    pub unzipped_bytes: u64,
    /// The executable deployed as `bootstrap` (this program, `binary`, or the build of this
    /// program for Lambda).
    pub binary: PathBuf,
}
