//! The `awslambda` executor: electrons on AWS Lambda, the program itself deployed as the
//! function.
//!
//! Covalent needs a container image with a matching Python, pickles each task to S3, invokes
//! asynchronously and polls S3 every few seconds. orbital deploys its own binary instead:
//! packaged as `bootstrap` for the `provided.al2023` runtime (stripped, in a deterministic zip),
//! created or updated **once per content hash** (an unchanged build makes no create or update
//! call), then each task is one synchronous (`RequestResponse`) invoke whose response carries
//! the outcome. In the function, the same program runs in Lambda mode (see [`serve`]): each
//! event is a task spec, run in a child runner process of the same binary.
//!
//! ```toml
//! [executors.awslambda]
//! function_name = "my-orbital-tasks"       # default: orbital-<program>-<build hash>
//! s3_bucket_name = "my-orbital-bucket"     # for payloads over the 6 MB invoke limit
//! execution_role = "arn:aws:iam::123456789012:role/orbital-lambda"   # to create functions
//! region = "us-east-1"
//! profile = "default"                      # from the normal AWS chain when unset
//! credentials_file = "~/.aws/credentials"
//! memory_size = 512                        # MB (the default)
//! timeout = 900                            # the function's timeout, seconds (the default)
//! architecture = "x86_64"                  # or "arm64"
//! max_concurrency = 16                     # invokes at once (the default)
//! cleanup = false                          # delete created functions and S3 payloads at the end
//! poll_freq = 1                            # seconds between checks while a deploy settles
//! # endpoint_url = "http://127.0.0.1:4566"  # an emulator or S3-compatible store (path-style S3)
//! ```
//!
//! Payloads: a spec or an outcome over the invoke limit travels through `s3_bucket_name` under
//! `orbital/<dispatch id>/`, and each such object is removed once read. Throttling is retried
//! with backoff; a function error (`X-Amz-Function-Error`) becomes the node's error with the
//! function's own message; an electron's `time_limit` is kept on both sides (the invoke is
//! dropped, and the function kills the task's process group). Credentials come from the normal
//! AWS chain (environment, profile, credentials file, instance roles) and are never written to
//! the store or the logs.

mod package;
mod payload;
mod runtime;
mod s3io;
mod serve;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Architecture, FunctionCode, InvocationType, LastUpdateStatus, Runtime, State,
};
use orbital_core::runner::DEFAULT_CAPTURE_LIMIT;
use orbital_core::{
    protocol, Executor, ExecutorContext, ExecutorError, Task, TaskError, TaskOutcome,
};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

pub use crate::ship::choose::CrossBuild;
pub use serve::{serve, LambdaTaskError, RUNTIME_API_ENV};

/// The AWS crates this executor is built on, for benchmarks that call the SDK themselves
/// (dev-dependencies cannot be optional, and the SDK takes minutes to build).
#[doc(hidden)]
pub mod __sdk {
    pub use aws_config;
    pub use aws_sdk_lambda;
    pub use base64;
}

/// The deterministic `bootstrap` zip of `bytes` (for tests that plant a package).
///
/// # Errors
/// When zipping fails.
#[doc(hidden)]
pub fn zip_bootstrap_for_tests(bytes: &[u8]) -> Result<Vec<u8>, String> {
    package::zip_bootstrap(bytes)
}

use crate::ship::choose::{self, Chosen};
use crate::ship::cross;
use payload::{Carried, Event, Response, S3Ref};
use runtime::{al2023, FOR_LAMBDA};

/// Runs tasks as invocations of a Lambda function that is this program. See the
/// [module documentation](self).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsLambdaExecutor {
    /// The function to deploy to and invoke (created when missing). Default:
    /// `orbital-<program>-<build hash>`, one function per build.
    #[serde(default)]
    pub function_name: Option<String>,
    /// The bucket for payloads over the invoke limit (and zips over the inline upload limit).
    #[serde(default)]
    pub s3_bucket_name: Option<String>,
    /// A credentials file to read instead of `~/.aws/credentials`.
    #[serde(default)]
    pub credentials_file: Option<String>,
    /// The profile to use (default: the AWS chain's).
    #[serde(default)]
    pub profile: Option<String>,
    /// The region (default: the AWS chain's).
    #[serde(default)]
    pub region: Option<String>,
    /// Seconds between two checks while a created or updated function settles.
    #[serde(default = "default_poll_freq")]
    pub poll_freq: f64,
    /// The function's timeout in seconds (Lambda's limit is 900).
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    /// Where the package (the stripped binary) is cached. Default `~/.cache/orbital/lambda`.
    #[serde(default)]
    pub cache_dir: Option<String>,
    /// The role ARN a created function runs as.
    #[serde(default)]
    pub execution_role: Option<String>,
    /// The function's memory in MB.
    #[serde(default = "default_memory")]
    pub memory_size: u32,
    /// `x86_64` or `arm64`.
    #[serde(default = "default_architecture")]
    pub architecture: String,
    /// Delete the functions this executor created, and the dispatch's S3 payloads, when a
    /// dispatch ends.
    #[serde(default)]
    pub cleanup: bool,
    /// An endpoint for every AWS call (an emulator, an S3-compatible store); S3 is then
    /// addressed path-style.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The program to deploy instead of the running one: the same program, built for the
    /// function (`cargo zigbuild --release --target x86_64-unknown-linux-gnu.2.17`). Unset,
    /// the running executable is deployed when it can run on `provided.al2023`, and otherwise
    /// built again for it (see `cross_build`).
    #[serde(default)]
    pub binary: Option<String>,
    /// When to build this program again for the function with `cargo zigbuild` (same package,
    /// target and features, glibc 2.17): `"auto"` when the running executable cannot run on
    /// Lambda (another architecture, a newer glibc, macOS), `"always"`, or `"never"` (an error
    /// then says how to build it by hand).
    #[serde(default)]
    pub cross_build: CrossBuild,
    /// The Cargo profile of that build.
    #[serde(default = "default_build_profile")]
    pub build_profile: String,
    /// The package features of that build. Default: those of the running program, as
    /// `#[orbital::main]` recorded them (none for a program without it).
    #[serde(default)]
    pub build_features: Option<Vec<String>>,
    /// Invokes of one dispatch at once.
    #[serde(default)]
    pub max_concurrency: Option<usize>,
    /// The most bytes of stdout, and of stderr, kept per task.
    #[serde(default = "default_capture_limit")]
    pub capture_limit: u64,
    #[serde(skip)]
    state: Arc<LambdaState>,
}

fn default_build_profile() -> String {
    "release".to_owned()
}

fn default_poll_freq() -> f64 {
    1.0
}
fn default_timeout() -> u32 {
    900
}
fn default_memory() -> u32 {
    512
}
fn default_architecture() -> String {
    "x86_64".to_owned()
}
fn default_capture_limit() -> u64 {
    DEFAULT_CAPTURE_LIMIT
}

/// Invokes at once when `max_concurrency` is not set.
pub const DEFAULT_MAX_CONCURRENCY: usize = 16;

#[derive(Default)]
struct LambdaState {
    clients: OnceCell<Clients>,
    package: OnceCell<Arc<package::Package>>,
    /// The function as deployed by the last check (name, and the build it runs).
    deployed: tokio::sync::Mutex<Option<Deployment>>,
    /// Functions this executor created (deleted at the end with `cleanup`).
    created: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for LambdaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaState").finish_non_exhaustive()
    }
}

#[derive(Clone)]
struct Clients {
    lambda: aws_sdk_lambda::Client,
    s3: aws_sdk_s3::Client,
}

/// A function ready for invokes, and what it took to get there.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The function's name.
    pub function_name: String,
    /// The build identity of its `bootstrap` (each spec carries it).
    pub build_id: String,
    /// What the deploy did: `unchanged`, `updated` or `created`.
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

impl AwsLambdaExecutor {
    /// An executor with every setting at its default (the function named after the program).
    pub fn new() -> Self {
        AwsLambdaExecutor {
            function_name: None,
            s3_bucket_name: None,
            credentials_file: None,
            profile: None,
            region: None,
            poll_freq: default_poll_freq(),
            timeout: default_timeout(),
            cache_dir: None,
            execution_role: None,
            memory_size: default_memory(),
            architecture: default_architecture(),
            cleanup: false,
            endpoint_url: None,
            binary: None,
            cross_build: CrossBuild::Auto,
            build_profile: default_build_profile(),
            build_features: None,
            max_concurrency: None,
            capture_limit: DEFAULT_CAPTURE_LIMIT,
            state: Arc::default(),
        }
    }

    fn error(&self, message: impl Into<String>) -> ExecutorError {
        ExecutorError {
            executor: format!(
                "awslambda{}",
                self.function_name
                    .as_deref()
                    .map(|n| format!(" {n}"))
                    .unwrap_or_default()
            ),
            message: message.into(),
        }
    }

    fn check_config(&self) -> Result<(), String> {
        if self.architecture != "x86_64" && self.architecture != "arm64" {
            return Err(format!(
                "`architecture = \"{}\"`: Lambda runs \"x86_64\" or \"arm64\"",
                self.architecture
            ));
        }
        if !(1..=900).contains(&self.timeout) {
            return Err(format!(
                "`timeout = {}`: a Lambda function's timeout is 1 to 900 seconds",
                self.timeout
            ));
        }
        if !(128..=10240).contains(&self.memory_size) {
            return Err(format!(
                "`memory_size = {}`: Lambda gives a function 128 to 10240 MB",
                self.memory_size
            ));
        }
        if !(self.poll_freq > 0.0 && self.poll_freq.is_finite()) {
            return Err(format!(
                "`poll_freq = {}`: set a number of seconds above 0",
                self.poll_freq
            ));
        }
        Ok(())
    }

    async fn clients(&self) -> Result<Clients, String> {
        self.state
            .clients
            .get_or_try_init(|| async {
                let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
                if let Some(p) = &self.profile {
                    loader = loader.profile_name(p);
                }
                if let Some(f) = &self.credentials_file {
                    let path = crate::ship::shell::expand_local(f);
                    if !path.is_file() {
                        return Err(format!(
                            "credentials_file {} does not exist: fix the path, or remove the key to use the \
                             normal AWS chain",
                            path.display()
                        ));
                    }
                    use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
                    loader = loader.profile_files(
                        EnvConfigFiles::builder()
                            .with_file(EnvConfigFileKind::Credentials, path)
                            .include_default_config_file(true)
                            .build(),
                    );
                }
                if let Some(r) = &self.region {
                    loader = loader.region(aws_config::Region::new(r.clone()));
                }
                if let Some(u) = &self.endpoint_url {
                    loader = loader.endpoint_url(u);
                }
                loader = loader.retry_config(
                    aws_config::retry::RetryConfig::standard()
                        .with_max_attempts(8)
                        .with_initial_backoff(Duration::from_millis(50)),
                );
                let conf = loader.load().await;
                if conf.region().is_none() {
                    return Err(
                        "no AWS region: set `region` (or AWS_REGION, or a region in the profile)".to_owned(),
                    );
                }
                check_credentials(&conf, self).await?;
                check_accepted(&conf, self).await?;
                let lambda_conf = aws_sdk_lambda::config::Builder::from(&conf)
                    .timeout_config(
                        aws_config::timeout::TimeoutConfig::builder()
                            .connect_timeout(Duration::from_secs(10))
                            .operation_attempt_timeout(Duration::from_secs(u64::from(self.timeout) + 30))
                            .build(),
                    )
                    .build();
                let s3_conf = aws_sdk_s3::config::Builder::from(&conf)
                    .force_path_style(self.endpoint_url.is_some())
                    .build();
                Ok(Clients {
                    lambda: aws_sdk_lambda::Client::from_conf(lambda_conf),
                    s3: aws_sdk_s3::Client::from_conf(s3_conf),
                })
            })
            .await
            .cloned()
    }

    /// The package to deploy, its build time (zero unless the program was built again for
    /// Lambda) and its packaging time (zero when it was already made).
    async fn package(&self) -> Result<(Arc<package::Package>, Duration, Duration), String> {
        let t0 = Instant::now();
        let mut built = None;
        let p = self
            .state
            .package
            .get_or_try_init(|| async {
                let cache = self.cache_dir.as_deref().map_or_else(
                    || {
                        dirs_cache()
                            .unwrap_or_else(|| PathBuf::from("/tmp"))
                            .join("orbital/lambda")
                    },
                    crate::ship::shell::expand_local,
                );
                let me = self.clone();
                let (pkg, build_time) =
                    tokio::task::spawn_blocking(move || me.package_blocking(&cache))
                        .await
                        .map_err(|e| format!("packaging failed: {e}"))??;
                built = Some(build_time);
                Ok::<_, String>(Arc::new(pkg))
            })
            .await?
            .clone();
        Ok(match built {
            Some(b) => (p, b, t0.elapsed().saturating_sub(b)),
            None => (p, Duration::ZERO, Duration::ZERO),
        })
    }

    /// Picks the binary (`binary`, this executable, or a build of this program for Lambda) and
    /// packages it.
    fn package_blocking(
        &self,
        cache: &std::path::Path,
    ) -> Result<(package::Package, Duration), String> {
        let arch = &self.architecture;
        if let Some(b) = &self.binary {
            return Ok((
                package::build(&crate::ship::shell::expand_local(b), arch, cache)
                    .map_err(|e| e.to_string())?,
                Duration::ZERO,
            ));
        }
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find this program's executable: {e}"))?;
        let why = match self.choose(&exe, cache)? {
            Chosen::Ready(p) => return Ok((p, Duration::ZERO)),
            Chosen::CrossBuild(why) => why,
        };
        let Some(mut source) = orbital_core::program::current() else {
            return Err(format!(
                "{why}; orbital cannot tell which Cargo target this program is (it was not started by \
                 cargo and has no `#[orbital::main]`), so it cannot build it for Lambda: set `binary` to a \
                 build for Lambda ({})",
                cross::by_hand(&al2023(arch))
            ));
        };
        if let Some(f) = &self.build_features {
            source.features = f.clone();
            source.exact_features = false;
        }
        tracing::info!(reason = %why, "this program is built again for Lambda");
        let built = cross::build(
            &source,
            &al2023(arch),
            &self.build_profile,
            &cache.join("build"),
            FOR_LAMBDA,
        )?;
        let pkg = package::build(&built.path, arch, cache).map_err(|e| {
            format!(
                "the program built for Lambda ({}) cannot be deployed: {e}",
                built.path.display()
            )
        })?;
        Ok((pkg, built.time))
    }

    /// Whether the running executable `exe` is deployed (packaged) or the program is built
    /// again for Lambda (and why), by `cross_build`.
    fn choose(
        &self,
        exe: &std::path::Path,
        cache: &std::path::Path,
    ) -> Result<Chosen<package::Package>, String> {
        choose::choose(self.cross_build, || {
            package::build(exe, &self.architecture, cache)
        })
    }

    fn name_for(&self, build_id: &str) -> String {
        if let Some(n) = &self.function_name {
            return n.clone();
        }
        let program = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "program".to_owned());
        let clean: String = program
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .take(40)
            .collect();
        format!("orbital-{clean}-{}", &build_id[..12.min(build_id.len())])
    }

    /// Makes sure the function exists and runs this build: creates it, or updates its code
    /// when its `CodeSha256` differs, then waits until it is Active and its last update
    /// Successful. An unchanged function costs one `GetFunction` call.
    ///
    /// # Errors
    /// When the binary cannot run on Lambda or is too large, the credentials, the role or the
    /// bucket are missing, or the function fails to settle; the error says what to change.
    pub async fn deploy(&self) -> Result<Deployment, ExecutorError> {
        self.deploy_inner().await.map_err(|e| self.error(e))
    }

    async fn deploy_inner(&self) -> Result<Deployment, String> {
        self.check_config()?;
        let clients = self.clients().await?;
        let (pkg, build_time, package_time) = self.package().await?;
        let name = self.name_for(&pkg.build_id);
        let mut guard = self.state.deployed.lock().await;
        let t_up = Instant::now();
        let mut attempts = 0;
        let (action, settled) = loop {
            attempts += 1;
            let got = clients
                .lambda
                .get_function()
                .function_name(&name)
                .send()
                .await;
            match got {
                Ok(f) => {
                    let c = f.configuration();
                    let sha = c.and_then(|c| c.code_sha256()).unwrap_or_default();
                    if sha == pkg.code_sha256 {
                        // Created or updated by another driver a moment ago: it may still settle.
                        let ready = c.is_some_and(|c| {
                            matches!(c.state(), Some(State::Active) | None)
                                && matches!(
                                    c.last_update_status(),
                                    Some(LastUpdateStatus::Successful) | None
                                )
                        });
                        break ("unchanged", ready);
                    }
                    self.update_code(&clients, &name, &pkg).await?;
                    break ("updated", false);
                }
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    if self.create(&clients, &name, &pkg).await? {
                        self.state
                            .created
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .insert(name.clone());
                        break ("created", false);
                    }
                    // Another driver created it meanwhile: look again.
                    if attempts >= 3 {
                        return Err(format!(
                            "the function {name} keeps appearing and vanishing while it is deployed"
                        ));
                    }
                }
                Err(e) => {
                    return Err(format!(
                        "cannot look up the function {name}: {}",
                        lambda_said(&e)
                    ))
                }
            }
        };
        let upload_time = t_up.elapsed();
        let t_settle = Instant::now();
        if !settled {
            self.settle(&clients, &name).await?;
        }
        let d = Deployment {
            function_name: name,
            build_id: pkg.build_id.clone(),
            action,
            build_time,
            package_time,
            upload_time,
            settle_time: t_settle.elapsed(),
            zip_bytes: pkg.zip.len(),
            unzipped_bytes: pkg.unzipped,
            binary: pkg.binary.clone(),
        };
        tracing::info!(
            function = %d.function_name,
            action,
            build_ms = build_time.as_millis() as u64,
            package_ms = package_time.as_millis() as u64,
            upload_ms = upload_time.as_millis() as u64,
            settle_ms = d.settle_time.as_millis() as u64,
            "the Lambda function is ready"
        );
        *guard = Some(d.clone());
        Ok(d)
    }

    /// The zip as `FunctionCode`: inline, or through S3 when over the inline limit.
    async fn code(
        &self,
        clients: &Clients,
        pkg: &package::Package,
    ) -> Result<FunctionCode, String> {
        if pkg.zip.len() <= package::MAX_INLINE_ZIP {
            return Ok(FunctionCode::builder()
                .zip_file(Blob::new(pkg.zip.clone()))
                .build());
        }
        let bucket = self.s3_bucket_name.as_deref().ok_or_else(|| {
            format!(
                "the package is {:.0} MB zipped, over the {} MB Lambda takes inline: set `s3_bucket_name` so that \
                 it goes through S3",
                pkg.zip.len() as f64 / 1e6,
                package::MAX_INLINE_ZIP / 1_000_000
            )
        })?;
        let r = S3Ref {
            bucket: bucket.to_owned(),
            key: format!("orbital/code/{}.zip", pkg.build_id),
        };
        s3io::put(&clients.s3, &r, pkg.zip.clone()).await?;
        Ok(FunctionCode::builder()
            .s3_bucket(r.bucket)
            .s3_key(r.key)
            .build())
    }

    /// Creates the function; `Ok(false)` when another driver created it first.
    async fn create(
        &self,
        clients: &Clients,
        name: &str,
        pkg: &package::Package,
    ) -> Result<bool, String> {
        let role = self.execution_role.as_deref().ok_or_else(|| {
            format!(
                "the function {name} does not exist, and creating it needs a role: set `execution_role` to the ARN \
                 of a role Lambda may assume (README: the Lambda section lists its policy)"
            )
        })?;
        if !role.starts_with("arn:") {
            return Err(format!(
                "`execution_role = \"{role}\"` is not an ARN: set it to arn:aws:iam::<account>:role/{role}"
            ));
        }
        let code = self.code(clients, pkg).await?;
        tracing::info!(
            function = name,
            mb = pkg.zip.len() as f64 / 1e6,
            "creating the Lambda function"
        );
        let created = clients
            .lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Providedal2023)
            .handler("bootstrap")
            .role(role)
            .code(code)
            .architectures(self.arch())
            .memory_size(self.memory_size as i32)
            .timeout(self.timeout as i32)
            .description(format!("orbital task runner, build {}", pkg.build_id))
            .send()
            .await;
        match created {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_conflict_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err({
                let said = lambda_said(&e);
                let lower = said.to_ascii_lowercase();
                if lower.contains("role") {
                    format!(
                        "cannot create the function {name}: {said}; check `execution_role` ({role}): the role must \
                         exist and trust lambda.amazonaws.com"
                    )
                } else {
                    format!("cannot create the function {name}: {said}")
                }
            }),
        }
    }

    async fn update_code(
        &self,
        clients: &Clients,
        name: &str,
        pkg: &package::Package,
    ) -> Result<(), String> {
        // An update in progress must end before the next one.
        self.settle(clients, name).await?;
        let code = self.code(clients, pkg).await?;
        tracing::info!(function = name, "updating the Lambda function's code");
        let mut call = clients
            .lambda
            .update_function_code()
            .function_name(name)
            .architectures(self.arch());
        call = match (code.zip_file(), code.s3_bucket(), code.s3_key()) {
            (Some(z), _, _) => call.zip_file(z.clone()),
            (None, Some(b), Some(k)) => call.s3_bucket(b).s3_key(k),
            _ => return Err("the package has no code".to_owned()),
        };
        call.send()
            .await
            .map(drop)
            .map_err(|e| format!("cannot update the code of {name}: {}", lambda_said(&e)))
    }

    /// Waits until the function is Active and its last update is not in progress.
    async fn settle(&self, clients: &Clients, name: &str) -> Result<(), String> {
        let every = Duration::from_secs_f64(self.poll_freq.clamp(0.05, 60.0));
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let c = clients
                .lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
                .map_err(|e| format!("cannot read the state of {name}: {}", lambda_said(&e)))?;
            let state = c.state().cloned();
            let update = c.last_update_status().cloned();
            match (&state, &update) {
                (Some(State::Failed), _) => {
                    return Err(format!(
                        "the function {name} failed to become Active: {}",
                        c.state_reason().unwrap_or("no reason given")
                    ))
                }
                (_, Some(LastUpdateStatus::Failed)) => {
                    return Err(format!(
                        "the last update of {name} failed: {}",
                        c.last_update_status_reason().unwrap_or("no reason given")
                    ))
                }
                (Some(State::Active) | None, Some(LastUpdateStatus::Successful) | None) => {
                    return Ok(())
                }
                _ => {}
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "the function {name} did not settle within 10 minutes ({state:?}, {update:?})"
                ));
            }
            tokio::time::sleep(every).await;
        }
    }

    fn arch(&self) -> Architecture {
        if self.architecture == "arm64" {
            Architecture::Arm64
        } else {
            Architecture::X8664
        }
    }

    async fn deployment(&self) -> Result<Deployment, String> {
        if let Some(d) = self.state.deployed.lock().await.clone() {
            return Ok(d);
        }
        self.deploy_inner().await
    }

    async fn invoke(&self, task: Task) -> Result<TaskOutcome, TaskError> {
        let started = SystemTime::now();
        let ex = |e: String| TaskError::executor(e);
        let clients = self.clients().await.map_err(ex)?;
        let d = self.deployment().await.map_err(ex)?;
        let mut spec = task.spec;
        spec.build_id = d.build_id.clone();
        let mut frame = Vec::new();
        protocol::write_spec(&mut frame, &spec).map_err(|e| TaskError::codec(e.to_string()))?;
        let nanos = started
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!(
            "orbital/{}/{}-{}-{nanos}",
            spec.dispatch_id, spec.node_id, spec.attempt
        );
        let spill = self.s3_bucket_name.as_ref().map(|b| S3Ref {
            bucket: b.clone(),
            key: prefix.clone(),
        });
        let spec_carried = if frame.len() <= payload::MAX_INLINE_FRAME {
            Carried::Inline(payload::b64(&frame))
        } else {
            let Some(sp) = &spill else {
                return Err(ex(format!(
                    "the task's arguments are {} bytes, over the {} bytes an invoke carries: set `s3_bucket_name` so \
                     that they go through S3",
                    frame.len(),
                    payload::INVOKE_LIMIT
                )));
            };
            let r = S3Ref {
                bucket: sp.bucket.clone(),
                key: format!("{prefix}/spec"),
            };
            s3io::put(&clients.s3, &r, frame).await.map_err(ex)?;
            Carried::S3(r)
        };
        let cancel = spill.as_ref().map(|sp| S3Ref {
            bucket: sp.bucket.clone(),
            key: format!("{prefix}/cancel"),
        });
        // Dropped before the answer (time limit, cancel): tell the function to stop the task.
        let mut marker = CancelMarker {
            s3: clients.s3.clone(),
            at: cancel.clone(),
        };
        let event = Event {
            cancel,
            orbital: payload::EVENT_VERSION,
            spec: spec_carried,
            spill,
            path_style: self.endpoint_url.is_some(),
            capture_limit: self.capture_limit,
        };
        let body = serde_json::to_vec(&event).map_err(|e| TaskError::codec(e.to_string()))?;
        let mut redeployed = false;
        let out = loop {
            let sent = clients
                .lambda
                .invoke()
                .function_name(&d.function_name)
                .invocation_type(InvocationType::RequestResponse)
                .payload(Blob::new(body.clone()))
                .send()
                .await;
            match sent {
                Ok(o) => break o,
                // Deleted since it was deployed: deploy it again, once.
                Err(e)
                    if !redeployed
                        && e.as_service_error()
                            .is_some_and(|s| s.is_resource_not_found_exception()) =>
                {
                    redeployed = true;
                    tracing::warn!(function = %d.function_name, "the function is gone; deploying it again");
                    *self.state.deployed.lock().await = None;
                    self.deploy_inner().await.map_err(ex)?;
                }
                Err(e) => {
                    let said = lambda_said(&e);
                    let hint = if e
                        .as_service_error()
                        .is_some_and(|s| s.is_too_many_requests_exception())
                    {
                        ": Lambda still throttled after 8 attempts with backoff; lower `max_concurrency` or raise the \
                         function's concurrency limit"
                    } else {
                        ""
                    };
                    return Err(ex(format!(
                        "invoking {} failed: {said}{hint}",
                        d.function_name
                    )));
                }
            }
        };
        marker.at = None;
        let payload = out
            .payload()
            .map(|b| b.as_ref().to_vec())
            .unwrap_or_default();
        if let Some(kind) = out.function_error() {
            let (etype, emsg) = function_error_text(&payload);
            let error_kind = if etype.starts_with("orbital::") {
                orbital_core::TaskErrorKind::Executor
            } else {
                orbital_core::TaskErrorKind::Failed
            };
            return Err(TaskError::new(
                error_kind,
                format!(
                    "the Lambda function {} failed ({kind}): {etype}: {emsg}",
                    d.function_name
                ),
            ));
        }
        let resp: Response = serde_json::from_slice(&payload).map_err(|e| {
            ex(format!(
                "the answer of {} is not an orbital outcome ({e}): {}",
                d.function_name,
                String::from_utf8_lossy(&payload[..payload.len().min(300)])
            ))
        })?;
        let frame = match resp.outcome {
            Carried::Inline(text) => payload::unb64(&text).map_err(ex)?,
            Carried::S3(r) => {
                let bytes = s3io::get(&clients.s3, &r).await.map_err(ex)?;
                let _ = clients
                    .s3
                    .delete_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .send()
                    .await;
                bytes
            }
        };
        if let Carried::S3(r) = &event.spec {
            let _ = clients
                .s3
                .delete_object()
                .bucket(&r.bucket)
                .key(&r.key)
                .send()
                .await;
        }
        protocol::read_outcome(&mut frame.as_slice()).map_err(|e| {
            ex(format!(
                "the outcome from {} could not be read: {e}",
                d.function_name
            ))
        })
    }
}

/// Writes the cancel object of an invocation dropped before its answer.
struct CancelMarker {
    s3: aws_sdk_s3::Client,
    at: Option<S3Ref>,
}

impl Drop for CancelMarker {
    fn drop(&mut self) {
        let Some(r) = self.at.take() else { return };
        let s3 = self.s3.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = s3io::put(&s3, &r, Vec::new()).await {
                    tracing::warn!(error = %e, "could not ask the function to stop a cancelled task");
                }
            });
        }
    }
}

impl Default for AwsLambdaExecutor {
    fn default() -> Self {
        AwsLambdaExecutor::new()
    }
}

fn dirs_cache() -> Option<PathBuf> {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
}

/// `{"errorType": .., "errorMessage": ..}` of a function error.
fn function_error_text(payload: &[u8]) -> (String, String) {
    #[derive(Deserialize)]
    struct E {
        #[serde(rename = "errorType", default)]
        error_type: String,
        #[serde(rename = "errorMessage", default)]
        error_message: String,
    }
    match serde_json::from_slice::<E>(payload) {
        Ok(e) => (e.error_type, e.error_message),
        Err(_) => (
            "Unknown".to_owned(),
            String::from_utf8_lossy(payload).into_owned(),
        ),
    }
}

/// What a Lambda call's error says, with its code.
fn lambda_said<E, R>(e: &aws_sdk_lambda::error::SdkError<E, R>) -> String
where
    E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match e.as_service_error() {
        Some(s) => format!(
            "{}: {}",
            s.code().unwrap_or("error"),
            s.message().unwrap_or("no message")
        ),
        None => crate::ship::shell::chain(e),
    }
}

/// Where the credentials come from, as the configuration says (for errors).
fn credentials_source(cfg: &AwsLambdaExecutor) -> String {
    match (&cfg.profile, &cfg.credentials_file) {
        (Some(p), Some(f)) => format!("profile `{p}` of credentials_file {f}"),
        (Some(p), None) => format!("profile `{p}`"),
        (None, Some(f)) => format!("credentials_file {f}"),
        (None, None) => "the AWS chain (environment, ~/.aws/credentials, instance role)".to_owned(),
    }
}

/// Error codes with which AWS refuses the credentials themselves (an unknown key, a wrong
/// secret, an expired session), as STS and the other services say it.
const REFUSED_CREDENTIALS: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "InvalidAccessKeyId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
];

/// Asks STS who the credentials are (`GetCallerIdentity` needs no permission), so that keys
/// AWS refuses are named at setup rather than as the first call's 403. Other failures (an
/// endpoint without STS, say) are left to the calls that follow.
async fn check_accepted(
    conf: &aws_config::SdkConfig,
    cfg: &AwsLambdaExecutor,
) -> Result<(), String> {
    use aws_sdk_sts::error::ProvideErrorMetadata;
    let sts = aws_sdk_sts::Client::new(conf);
    match sts.get_caller_identity().send().await {
        Ok(who) => {
            tracing::debug!(
                arn = who.arn().unwrap_or_default(),
                "AWS credentials accepted"
            );
            Ok(())
        }
        Err(e) => {
            let parsed = e.as_service_error().and_then(|s| {
                s.code()
                    .map(|c| (c.to_owned(), s.message().unwrap_or("refused").to_owned()))
            });
            // Some endpoints wrap the error in `<Errors>`, which the SDK does not parse: read
            // the code from a 403's body.
            let Some((code, message)) = parsed
                .filter(|(c, _)| REFUSED_CREDENTIALS.contains(&c.as_str()))
                .or_else(|| refused_in_body(e.raw_response()?))
            else {
                tracing::debug!(error = %crate::ship::shell::chain(&e), "cannot ask STS about the credentials");
                return Ok(());
            };
            let message = message.trim_end_matches('.');
            let key = key_hint(conf).await;
            Err(format!(
                "AWS refused the credentials from {} ({key}): {code}: {message}; put valid keys in that \
                 profile (`aws configure{}`), refresh an expired session (`aws sso login`), or name \
                 another `profile`",
                credentials_source(cfg),
                cfg.profile.as_deref().map(|p| format!(" --profile {p}")).unwrap_or_default(),
            ))
        }
    }
}

/// The refusal code and message in the body of a 403, if it holds one of
/// [`REFUSED_CREDENTIALS`].
fn refused_in_body(r: &aws_sdk_sts::config::http::HttpResponse) -> Option<(String, String)> {
    if r.status().as_u16() != 403 {
        return None;
    }
    let body = String::from_utf8_lossy(r.body().bytes()?);
    let code = REFUSED_CREDENTIALS
        .iter()
        .find(|c| body.contains(&format!("<Code>{c}</Code>")))?;
    let message = body
        .split_once("<Message>")
        .and_then(|(_, rest)| rest.split_once("</Message>"))
        .map_or("refused", |(m, _)| m);
    Some(((*code).to_owned(), message.to_owned()))
}

/// The end of the access key id, as the console shows it (never the secret).
async fn key_hint(conf: &aws_config::SdkConfig) -> String {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(p) = conf.credentials_provider() else {
        return "no access key".to_owned();
    };
    match p.provide_credentials().await {
        Ok(c) => {
            let id = c.access_key_id();
            let from = id.char_indices().rev().nth(3).map_or(0, |(i, _)| i);
            format!("access key ending `{}`", &id[from..])
        }
        Err(_) => "no access key".to_owned(),
    }
}

/// Resolves the credentials once, so that a missing or broken profile is named at setup.
async fn check_credentials(
    conf: &aws_config::SdkConfig,
    cfg: &AwsLambdaExecutor,
) -> Result<(), String> {
    use aws_credential_types::provider::ProvideCredentials;
    let Some(provider) = conf.credentials_provider() else {
        return Err("no AWS credentials provider is configured".to_owned());
    };
    provider.provide_credentials().await.map(drop).map_err(|e| {
        let source = credentials_source(cfg);
        format!(
            "no usable AWS credentials from {source}: {}; set `profile` / `credentials_file`, or \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            crate::ship::shell::chain(&e)
        )
    })
}

#[typetag::serde(name = "awslambda")]
#[async_trait::async_trait]
impl Executor for AwsLambdaExecutor {
    fn kind(&self) -> &'static str {
        "awslambda"
    }

    fn max_concurrency(&self) -> Option<usize> {
        Some(self.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY))
    }

    /// Deploys the function (when its code is not this build's) before the first task, and
    /// checks the bucket when one is named.
    async fn setup(&self, _ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        *self.state.deployed.lock().await = None;
        let clients = self.clients().await.map_err(|e| self.error(e))?;
        if let Some(b) = &self.s3_bucket_name {
            if let Err(e) = clients.s3.head_bucket().bucket(b).send().await {
                let said = s3io::said(&e);
                return Err(self.error(format!(
                    "s3_bucket_name `{b}` cannot be used ({said}): create it (`aws s3 mb s3://{b}`) or name a bucket \
                     these credentials may write"
                )));
            }
        }
        self.deploy().await.map(drop)
    }

    /// With `cleanup`: deletes the functions this executor created and the dispatch's payloads.
    async fn teardown(&self, ctx: &ExecutorContext) -> Result<(), ExecutorError> {
        if !self.cleanup {
            return Ok(());
        }
        let Some(clients) = self.state.clients.get() else {
            return Ok(());
        };
        if let Some(b) = &self.s3_bucket_name {
            s3io::remove_prefix(&clients.s3, b, &format!("orbital/{}/", ctx.dispatch_id))
                .await
                .map_err(|e| self.error(e))?;
        }
        let created: Vec<String> = self
            .state
            .created
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain()
            .collect();
        for name in created {
            clients
                .lambda
                .delete_function()
                .function_name(&name)
                .send()
                .await
                .map_err(|e| {
                    self.error(format!(
                        "cannot delete the function {name}: {}",
                        lambda_said(&e)
                    ))
                })?;
            tracing::info!(function = %name, "deleted the Lambda function it created");
        }
        *self.state.deployed.lock().await = None;
        Ok(())
    }

    async fn run(&self, task: Task) -> TaskOutcome {
        let started = SystemTime::now();
        match self.invoke(task).await {
            Ok(o) => o,
            Err(e) => TaskOutcome::new(Err(e), started),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_configuration_parses() {
        let e: AwsLambdaExecutor = toml::from_str(
            r#"
function_name = "my-lambda-function"
s3_bucket_name = "covalent-lambda-job-resources"
credentials_file = "/home/user/.aws/credentials"
profile = "default"
region = "us-east-1"
cache_dir = "/home/user/.cache/covalent"
poll_freq = 5
timeout = 60
"#,
        )
        .unwrap();
        assert_eq!(e.function_name.as_deref(), Some("my-lambda-function"));
        assert_eq!(e.timeout, 60);
        assert!(e.check_config().is_ok());
    }

    #[test]
    fn an_executable_lambda_cannot_run_is_built_again_unless_never() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        // Not an ELF file (a program built on macOS would be Mach-O).
        let exe = dir.path().join("prog");
        std::fs::write(&exe, b"\xcf\xfa\xed\xfe not linux").unwrap();
        let auto: AwsLambdaExecutor = toml::from_str("").unwrap();
        assert_eq!(auto.cross_build, CrossBuild::Auto);
        match auto.choose(&exe, &cache).unwrap() {
            Chosen::CrossBuild(why) => {
                assert!(why.contains("not a Linux (ELF) executable"), "{why}")
            }
            Chosen::Ready(_) => panic!("a non-ELF executable was packaged"),
        }
        let never: AwsLambdaExecutor = toml::from_str("cross_build = \"never\"").unwrap();
        let Err(e) = never.choose(&exe, &cache) else {
            panic!("`never` packaged a non-ELF executable")
        };
        assert!(
            e.contains("cargo zigbuild") && e.contains("cross_build = \"auto\""),
            "{e}"
        );
        // A Linux x86-64 program that needs no glibc newer than 2.34 is deployed as it is.
        let mut elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0".to_vec();
        elf.extend_from_slice(b"\0GLIBC_2.17\0GLIBC_2.34\0");
        std::fs::write(&exe, &elf).unwrap();
        assert!(matches!(
            auto.choose(&exe, &cache).unwrap(),
            Chosen::Ready(_)
        ));
        let always: AwsLambdaExecutor = toml::from_str("cross_build = \"always\"").unwrap();
        assert!(matches!(
            always.choose(&exe, &cache).unwrap(),
            Chosen::CrossBuild(_)
        ));
        // ... and one that needs glibc 2.38 is built again.
        elf.extend_from_slice(b"GLIBC_2.38\0");
        let newer = dir.path().join("newer");
        std::fs::write(&newer, &elf).unwrap();
        match auto.choose(&newer, &cache).unwrap() {
            Chosen::CrossBuild(why) => assert!(why.contains("glibc 2.38"), "{why}"),
            Chosen::Ready(_) => panic!("a program needing glibc 2.38 was packaged"),
        }
    }

    #[test]
    fn bad_settings_name_the_key() {
        let e: AwsLambdaExecutor = toml::from_str("architecture = \"sparc\"").unwrap();
        assert!(e.check_config().unwrap_err().contains("`architecture"));
        let e: AwsLambdaExecutor = toml::from_str("timeout = 1000").unwrap();
        assert!(e.check_config().unwrap_err().contains("`timeout"));
    }

    #[test]
    fn function_errors_read_as_aws_sends_them() {
        let (t, m) =
            function_error_text(br#"{"errorType":"orbital::StaleBuild","errorMessage":"x"}"#);
        assert_eq!((t.as_str(), m.as_str()), ("orbital::StaleBuild", "x"));
        let (t, _) = function_error_text(b"not json");
        assert_eq!(t, "Unknown");
    }
}
