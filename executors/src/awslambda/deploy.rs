//! Deploying: the function created, or its code updated when its `CodeSha256` is not the
//! package's and its memory and timeout when they are not the configured ones (only on a
//! function orbital created), then waited for until it is Active and its last update
//! Successful.

use std::time::{Duration, Instant};

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{Architecture, FunctionCode, LastUpdateStatus, Runtime, State};
use orbital_core::ExecutorError;

use super::config::AwsLambdaExecutor;
use super::function::{check_ours, DESCRIPTION, TAG};
use super::package::{self, Package};
use super::payload::S3Ref;
use super::state::{Clients, Deployment};
use crate::aws::said::said;

impl AwsLambdaExecutor {
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

    /// [`Self::deploy`], its error a message.
    pub(super) async fn deploy_inner(&self) -> Result<Deployment, String> {
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
                    check_ours(&name, &f)?;
                    let c = f.configuration();
                    let stale = self.settings_differ(c);
                    let sha = c.and_then(|c| c.code_sha256()).unwrap_or_default();
                    if sha == pkg.code_sha256 {
                        if stale {
                            self.update_settings(&clients, &name).await?;
                            break ("reconfigured", false);
                        }
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
                    if stale {
                        self.update_settings(&clients, &name).await?;
                    }
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
                Err(e) => return Err(format!("cannot look up the function {name}: {}", said(&e))),
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
    async fn code(&self, clients: &Clients, pkg: &Package) -> Result<FunctionCode, String> {
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
        crate::aws::s3io::put(&clients.s3, &r, pkg.zip.clone()).await?;
        Ok(FunctionCode::builder()
            .s3_bucket(r.bucket)
            .s3_key(r.key)
            .build())
    }

    /// Creates the function; `Ok(false)` when another driver created it first.
    async fn create(&self, clients: &Clients, name: &str, pkg: &Package) -> Result<bool, String> {
        let role = self.role_arn(clients, name)?;
        let role = role.as_str();
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
            .description(format!("{DESCRIPTION}, build {}", pkg.build_id))
            .tags(TAG.0, TAG.1)
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
                let said = said(&e);
                let lower = said.to_ascii_lowercase();
                if lower.contains("role") {
                    let key = if self.execution_role.is_some() {
                        "execution_role"
                    } else {
                        "lambda_role_name"
                    };
                    format!(
                        "cannot create the function {name}: {said}; check `{key}` ({role}): the role must \
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
        pkg: &Package,
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
            .map_err(|e| format!("cannot update the code of {name}: {}", said(&e)))
    }

    /// Sets the function's memory and timeout to `memory_size` and `timeout`.
    async fn update_settings(&self, clients: &Clients, name: &str) -> Result<(), String> {
        // An update in progress (the code's, say) must end before this one.
        self.settle(clients, name).await?;
        tracing::info!(
            function = name,
            memory_size = self.memory_size,
            timeout = self.timeout,
            "updating the Lambda function's memory and timeout"
        );
        clients
            .lambda
            .update_function_configuration()
            .function_name(name)
            .memory_size(self.memory_size as i32)
            .timeout(self.timeout as i32)
            .send()
            .await
            .map(drop)
            .map_err(|e| {
                format!(
                    "cannot set the memory ({} MB) and timeout ({} s) of {name}: {}",
                    self.memory_size,
                    self.timeout,
                    said(&e)
                )
            })
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
                .map_err(|e| format!("cannot read the state of {name}: {}", said(&e)))?;
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
}
