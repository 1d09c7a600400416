//! Lambda mode: the program as the function's `bootstrap`. When `AWS_LAMBDA_RUNTIME_API` is
//! set, `#[orbital::main]` calls [`serve`], which answers invocations through the official
//! `lambda_runtime` crate: each event is a task spec; the task runs in a child runner process
//! of this same binary (as the `process` executor runs it: its output captured, its process
//! group killed at its time limit, a crash failing only the task), and the response is the
//! outcome.

use std::time::SystemTime;

use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use orbital_core::registry::Registry;
use orbital_core::{protocol, Executor, Task, TaskError, TaskErrorKind, TaskOutcome};

use super::payload::{self, Carried, Event, Response, S3Ref};

/// The environment variable Lambda (and its emulators) set for a function's process.
pub const RUNTIME_API_ENV: &str = "AWS_LAMBDA_RUNTIME_API";

/// Why an invocation could not run its task at all (the task's own failures are outcomes).
/// Lambda reports it as a function error whose type is `orbital::<kind>`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct LambdaTaskError {
    /// `BadEvent`, `StaleBuild`, `UnknownElectron`, `Payload`.
    pub kind: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl From<LambdaTaskError> for Diagnostic {
    fn from(e: LambdaTaskError) -> Diagnostic {
        Diagnostic {
            error_type: format!("orbital::{}", e.kind),
            error_message: e.message,
        }
    }
}

fn fail(kind: &'static str, message: impl Into<String>) -> LambdaTaskError {
    LambdaTaskError {
        kind,
        message: message.into(),
    }
}

/// Serves invocations until the runtime stops; returns the process's exit code.
pub fn serve() -> i32 {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("orbital lambda: cannot start tokio: {e}");
            return orbital_core::runner::EXIT_INTERNAL;
        }
    };
    let result = rt.block_on(async {
        let s3 = tokio::sync::OnceCell::new();
        lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| {
            let s3 = &s3;
            async move { handle(event.payload, s3).await }
        }))
        .await
    });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("orbital lambda: the runtime stopped: {e}");
            orbital_core::runner::EXIT_INTERNAL
        }
    }
}

async fn s3_client(
    cell: &tokio::sync::OnceCell<aws_sdk_s3::Client>,
    path_style: bool,
) -> &aws_sdk_s3::Client {
    cell.get_or_init(|| async move {
        let conf = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let s3 = aws_sdk_s3::config::Builder::from(&conf)
            .force_path_style(path_style)
            .build();
        aws_sdk_s3::Client::from_conf(s3)
    })
    .await
}

async fn handle(
    event: Event,
    s3: &tokio::sync::OnceCell<aws_sdk_s3::Client>,
) -> Result<Response, LambdaTaskError> {
    if event.orbital != payload::EVENT_VERSION {
        return Err(fail(
            "BadEvent",
            format!(
                "the event is orbital event version {}, this function speaks {}: deploy the driver's build",
                event.orbital,
                payload::EVENT_VERSION
            ),
        ));
    }
    let frame = match &event.spec {
        Carried::Inline(text) => payload::unb64(text).map_err(|e| fail("BadEvent", e))?,
        Carried::S3(r) => {
            let client = s3_client(s3, event.path_style).await;
            crate::aws::s3io::get(client, r)
                .await
                .map_err(|e| fail("Payload", e))?
        }
    };
    let spec = protocol::read_spec(&mut frame.as_slice())
        .map_err(|e| fail("BadEvent", format!("cannot read the task spec: {e}")))?;
    let mine = orbital_core::identity::current().map_err(|e| {
        fail(
            "Internal",
            format!("cannot compute this build's identity: {e}"),
        )
    })?;
    if spec.build_id != mine {
        return Err(fail(
            "StaleBuild",
            format!(
                "stale binary: this function runs another build ({mine}) than the task was made for ({}): its code \
                 changed since the driver deployed it; run the dispatch again (orbital deploys the driver's build \
                 first)",
                spec.build_id
            ),
        ));
    }
    let registry = Registry::get().map_err(|e| fail("Internal", e.to_string()))?;
    let Some(electron) = registry.electron(&spec.electron) else {
        return Err(fail(
            "UnknownElectron",
            format!(
                "this function's program holds no electron `{}`",
                spec.electron
            ),
        ));
    };
    let limit = spec.time_limit;
    let task = Task { spec, electron };
    let runner = crate::ProcessExecutor {
        capture_limit: event.capture_limit,
        max_concurrency: Some(1),
        ..Default::default()
    };
    let started = SystemTime::now();
    let run = run_limited(runner, task, limit, started);
    let outcome = match &event.cancel {
        None => run.await,
        Some(r) => {
            let client = s3_client(s3, event.path_style).await;
            tokio::select! {
                o = run => o,
                () = cancelled(client, r) => {
                    let _ = client.delete_object().bucket(&r.bucket).key(&r.key).send().await;
                    TaskOutcome::new(
                        Err(TaskError::new(TaskErrorKind::Cancelled, "cancelled by the driver")),
                        started,
                    )
                }
            }
        }
    };
    respond(&event, s3, outcome).await
}

/// Returns when the driver's cancel object appears (checked every second).
async fn cancelled(client: &aws_sdk_s3::Client, r: &S3Ref) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if client
            .head_object()
            .bucket(&r.bucket)
            .key(&r.key)
            .send()
            .await
            .is_ok()
        {
            return;
        }
    }
}

/// Runs the task in a runner process; at its time limit the run is dropped, which kills the
/// runner's process group.
async fn run_limited(
    runner: crate::ProcessExecutor,
    task: Task,
    limit: Option<std::time::Duration>,
    started: SystemTime,
) -> TaskOutcome {
    match limit {
        // Dropping the run kills the runner's process group.
        Some(d) => match tokio::time::timeout(d, runner.run(task)).await {
            Ok(o) => o,
            Err(_) => TaskOutcome::new(
                Err(TaskError::new(
                    TaskErrorKind::TimedOut,
                    format!(
                        "exceeded its time limit of {} (in the Lambda function)",
                        humantime_secs(d)
                    ),
                )),
                started,
            ),
        },
        None => runner.run(task).await,
    }
}

async fn respond(
    event: &Event,
    s3: &tokio::sync::OnceCell<aws_sdk_s3::Client>,
    outcome: TaskOutcome,
) -> Result<Response, LambdaTaskError> {
    let mut out = Vec::new();
    protocol::write_outcome(&mut out, &outcome)
        .map_err(|e| fail("Internal", format!("cannot encode the outcome: {e}")))?;
    if out.len() <= payload::MAX_INLINE_FRAME {
        return Ok(Response {
            outcome: Carried::Inline(payload::b64(&out)),
        });
    }
    let Some(spill) = &event.spill else {
        return Err(fail(
            "Payload",
            format!(
                "the outcome is {} bytes, over the {} bytes a response can carry, and no S3 bucket was given: set \
                 `s3_bucket_name` in the executor's configuration",
                out.len(),
                payload::INVOKE_LIMIT
            ),
        ));
    };
    let r = S3Ref {
        bucket: spill.bucket.clone(),
        key: format!("{}/outcome", spill.key),
    };
    let client = s3_client(s3, event.path_style).await;
    crate::aws::s3io::put(client, &r, out)
        .await
        .map_err(|e| fail("Payload", e))?;
    Ok(Response {
        outcome: Carried::S3(r),
    })
}

fn humantime_secs(d: std::time::Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{:.3}s", d.as_secs_f64())
    }
}
