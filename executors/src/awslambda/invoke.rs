//! Running a task: one synchronous invoke of the deployed function, the spec and the outcome
//! inline or through S3, the function's errors read, and a cancel marker left behind when the
//! invoke is dropped.

use std::time::SystemTime;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use orbital_core::{protocol, Task, TaskError, TaskOutcome};
use serde::Deserialize;

use super::config::AwsLambdaExecutor;
use super::payload::{self, Carried, Event, Response, S3Ref};
use super::state::Deployment;
use crate::aws::said::said;

impl AwsLambdaExecutor {
    async fn deployment(&self) -> Result<Deployment, String> {
        if let Some(d) = self.state.deployed.lock().await.clone() {
            return Ok(d);
        }
        self.deploy_inner().await
    }

    /// Runs one task as one synchronous invoke of the function (deployed first when it is not).
    pub(super) async fn invoke(&self, task: Task) -> Result<TaskOutcome, TaskError> {
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
            crate::aws::s3io::put(&clients.s3, &r, frame)
                .await
                .map_err(ex)?;
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
                    let said = said(&e);
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
                let bytes = crate::aws::s3io::get(&clients.s3, &r).await.map_err(ex)?;
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
                if let Err(e) = crate::aws::s3io::put(&s3, &r, Vec::new()).await {
                    tracing::warn!(error = %e, "could not ask the function to stop a cancelled task");
                }
            });
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_errors_read_as_aws_sends_them() {
        let (t, m) =
            function_error_text(br#"{"errorType":"orbital::StaleBuild","errorMessage":"x"}"#);
        assert_eq!((t.as_str(), m.as_str()), ("orbital::StaleBuild", "x"));
        let (t, _) = function_error_text(b"not json");
        assert_eq!(t, "Unknown");
    }
}
