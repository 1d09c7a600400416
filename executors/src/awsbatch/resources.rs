//! What setup checks before the first job, each failure naming the key to change: the queue
//! (and from its compute environments, the platform), the bucket, the roles and the log group.

use super::config::AwsBatchExecutor;
use super::state::Clients;
use crate::aws::said::said;

/// The queue as Batch has it.
pub(super) struct Queue {
    pub(super) arn: String,
    /// `EC2` or `FARGATE`.
    pub(super) platform: &'static str,
}

impl AwsBatchExecutor {
    /// The queue: it exists and is enabled; its platform from its compute environments.
    pub(super) async fn check_queue(&self, clients: &Clients) -> Result<Queue, String> {
        let q = &self.batch_queue;
        let got = clients
            .batch
            .describe_job_queues()
            .job_queues(q)
            .send()
            .await
            .map_err(|e| format!("cannot describe the job queue {q}: {}", said(&e)))?;
        let Some(queue) = got.job_queues().first() else {
            let all = clients.batch.describe_job_queues().send().await;
            let names: Vec<String> = all
                .map(|a| {
                    a.job_queues()
                        .iter()
                        .filter_map(|q| q.job_queue_name().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let there = if names.is_empty() {
                "there is no job queue there".to_owned()
            } else {
                format!("the queues there are {}", names.join(", "))
            };
            return Err(format!(
                "batch_queue `{q}` does not exist in {}: {there}; set `batch_queue` to one of them, or create it \
                 (`aws batch create-job-queue`)",
                self.region.as_deref().unwrap_or("the region")
            ));
        };
        let arn = queue.job_queue_arn().unwrap_or(q).to_owned();
        if let Some(s) = queue.state() {
            if s.as_str() != "ENABLED" {
                return Err(format!(
                    "batch_queue `{q}` is {}: enable it (`aws batch update-job-queue --job-queue {q} --state ENABLED`)",
                    s.as_str()
                ));
            }
        }
        let ces: Vec<String> = queue
            .compute_environment_order()
            .iter()
            .filter_map(|o| o.compute_environment().map(str::to_owned))
            .collect();
        let mut fargate = false;
        if !ces.is_empty() {
            let got = clients
                .batch
                .describe_compute_environments()
                .set_compute_environments(Some(ces))
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "cannot describe the compute environments of {q}: {}",
                        said(&e)
                    )
                })?;
            fargate = got.compute_environments().iter().any(|ce| {
                ce.compute_resources()
                    .and_then(|r| r.r#type())
                    .is_some_and(|t| t.as_str().starts_with("FARGATE"))
            });
        }
        let found = if fargate { "FARGATE" } else { "EC2" };
        let platform = match self.platform.as_str() {
            "auto" => found,
            p if p == found => found,
            p => {
                return Err(format!(
                    "`platform = \"{p}\"`, and batch_queue `{q}` runs on {found}: set `platform = \"{found}\"` (or \
                     \"auto\"), or name a {p} queue"
                ))
            }
        };
        if platform == "FARGATE" && self.num_gpus > 0 {
            return Err(format!(
                "`num_gpus = {}`: batch_queue `{q}` runs on Fargate, which has no GPUs; name an EC2 queue",
                self.num_gpus
            ));
        }
        Ok(Queue { arn, platform })
    }

    /// The bucket: it exists and these credentials reach it.
    pub(super) async fn check_bucket(&self, clients: &Clients) -> Result<(), String> {
        let b = &self.s3_bucket_name;
        clients.s3.head_bucket().bucket(b).send().await.map(drop).map_err(|e| {
            let said = if e.as_service_error().is_some_and(|s| s.is_not_found()) {
                "NotFound: no such bucket".to_owned()
            } else {
                said(&e)
            };
            format!(
                "s3_bucket_name `{b}` cannot be used ({said}): create it (`aws s3 mb s3://{b}`) or name a bucket \
                 these credentials may write"
            )
        })
    }

    /// A role's ARN, by its name (IAM's answer; from the caller's account when IAM may not be
    /// asked).
    pub(super) async fn role_arn(
        &self,
        clients: &Clients,
        key: &str,
        name: &str,
    ) -> Result<String, String> {
        match clients.iam.get_role().role_name(name).send().await {
            Ok(r) => Ok(r.role().map(|r| r.arn().to_owned()).unwrap_or_default()),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Err(format!(
                "{key} `{name}`: there is no such role in this account; create it (with a trust policy for \
                 ecs-tasks.amazonaws.com), or set `{key}` to a role that exists"
            )),
            Err(e) => {
                let said = said(&e);
                let arn = clients
                    .caller_arn
                    .as_deref()
                    .and_then(|c| crate::aws::sdk::role_in_account(c, name));
                match arn {
                    Some(a) => {
                        tracing::debug!(%said, role = %a, "IAM may not be asked about the role; using its ARN in the caller's account");
                        Ok(a)
                    }
                    None => Err(format!(
                        "{key} `{name}`: cannot find the role's ARN ({said}); set `job_role_arn` to it"
                    )),
                }
            }
        }
    }

    /// The log group, when one is named: it must exist (Batch does not create it).
    pub(super) async fn check_log_group(&self, clients: &Clients) -> Result<(), String> {
        let Some(g) = &self.batch_job_log_group_name else {
            return Ok(());
        };
        let got = clients
            .logs
            .describe_log_groups()
            .log_group_name_prefix(g)
            .send()
            .await
            .map_err(|e| format!("cannot look for the log group {g}: {}", said(&e)))?;
        if got
            .log_groups()
            .iter()
            .any(|l| l.log_group_name() == Some(g.as_str()))
        {
            return Ok(());
        }
        Err(format!(
            "batch_job_log_group_name `{g}` does not exist: create it (`aws logs create-log-group --log-group-name \
             {g}`), or remove the key to use Batch's /aws/batch/job"
        ))
    }
}
