//! The `awslambda` executor: electrons on AWS Lambda, the program itself deployed as the
//! function, and the function's side (Lambda mode). Its files may use `ship/`, the `process`
//! executor (which runs each task in the function) and orbital-core.
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
//! # lambda_role_name = "CovalentLambdaExecutionRole"  # or the role's name, in the caller's account
//! region = "us-east-1"
//! profile = "default"                      # from the normal AWS chain when unset
//! credentials_file = "~/.aws/credentials"  # Covalent's `credentials` is the same key
//! memory_size = 512                        # MB (the default); a change is applied at the next dispatch
//! timeout = 900                            # the function's timeout, seconds (the default); likewise
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
//!
//! orbital only replaces the code of a function it created (tagged `orbital = task-runner`): a
//! `function_name` that names another function (a Covalent container-image function, say) is an
//! error that names it, and nothing is changed.

mod clients;
mod config;
mod deploy;
mod executor;
mod function;
mod invoke;
mod package;
mod payload;
mod program;
mod runtime;
mod serve;
mod state;

pub use crate::ship::choose::CrossBuild;
pub use config::{AwsLambdaExecutor, DEFAULT_MAX_CONCURRENCY};
pub use package::zip_bootstrap_for_tests;
pub use serve::{serve, LambdaTaskError, RUNTIME_API_ENV};
pub use state::Deployment;

/// The AWS crates this executor is built on, for benchmarks that call the SDK themselves
/// (dev-dependencies cannot be optional, and the SDK takes minutes to build).
#[doc(hidden)]
pub mod __sdk {
    pub use aws_config;
    pub use aws_sdk_lambda;
    pub use base64;
}
