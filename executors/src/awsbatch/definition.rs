//! The job definition: one per build, image, platform and role, named
//! `<batch_job_definition_name>-<hash>`, registered once and found again by name (an unchanged
//! build registers nothing). Everything per task goes in `SubmitJob`'s overrides.
//!
//! Its retry strategy retries only what the infrastructure did: a host lost, the bootstrap's
//! failed transfer (exit 90), an image that could not be pulled. Every other exit ends the job,
//! and a task's own error comes back as its outcome, for the electron's `retries`.

use aws_sdk_batch::types::{
    AssignPublicIp, ContainerProperties, EvaluateOnExit, FargatePlatformConfiguration,
    JobDefinitionType, LogConfiguration, LogDriver, NetworkConfiguration, PlatformCapability,
    ResourceRequirement, ResourceType, RetryAction, RetryStrategy, RuntimePlatform,
};
use sha2::{Digest, Sha256};

use super::bootstrap;
use super::config::AwsBatchExecutor;
use super::state::Clients;
use crate::aws::said::said;

/// What the definition is made of, besides the executor's settings.
#[derive(Debug, Clone)]
pub(super) struct Inputs<'a> {
    pub(super) build_id: &'a str,
    pub(super) platform: &'static str,
    pub(super) job_role_arn: Option<&'a str>,
    pub(super) execution_role_arn: Option<&'a str>,
}

/// The retry rules: (action, field, pattern), in Batch's order of evaluation (Batch takes 5 at
/// most). A failure no rule matches (none: the host-lost rule comes first) would be retried.
pub(super) const RULES: &[(&str, &str, &str)] = &[
    ("RETRY", "onStatusReason", "Host EC2*"),
    ("RETRY", "onExitCode", "90"),
    ("RETRY", "onReason", "CannotPullContainerError*"),
    ("EXIT", "onExitCode", "*"),
    ("EXIT", "onReason", "*"),
];

impl AwsBatchExecutor {
    /// The definition's name for `inputs`.
    pub(super) fn definition_name(&self, inputs: &Inputs<'_>) -> String {
        let mut h = Sha256::new();
        for part in [
            inputs.build_id,
            &self.container_image_uri,
            inputs.platform,
            &self.architecture,
            inputs.job_role_arn.unwrap_or("-"),
            inputs.execution_role_arn.unwrap_or("-"),
            self.batch_job_log_group_name.as_deref().unwrap_or("-"),
            &self.retry_attempts.to_string(),
            &bootstrap::VERSION.to_string(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let hex: String = h
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("{}-{hex}", self.batch_job_definition_name)
    }

    /// The definition (`name:revision`): the active one of that name, else a new one.
    pub(super) async fn definition(
        &self,
        clients: &Clients,
        inputs: &Inputs<'_>,
    ) -> Result<String, String> {
        let name = self.definition_name(inputs);
        let found = clients
            .batch
            .describe_job_definitions()
            .job_definition_name(&name)
            .status("ACTIVE")
            .send()
            .await
            .map_err(|e| format!("cannot list the job definitions named {name}: {}", said(&e)))?;
        if let Some(rev) = found
            .job_definitions()
            .iter()
            .filter(|d| d.status() == Some("ACTIVE"))
            .filter_map(|d| d.revision())
            .max()
        {
            tracing::debug!(definition = %name, rev, "the job definition exists");
            return Ok(format!("{name}:{rev}"));
        }
        let fargate = inputs.platform == "FARGATE";
        let mut props = ContainerProperties::builder()
            .image(&self.container_image_uri)
            .set_command(Some(bootstrap::command()))
            .resource_requirements(requirement(ResourceType::Vcpu, "1"))
            .resource_requirements(requirement(ResourceType::Memory, "2048"))
            .set_job_role_arn(inputs.job_role_arn.map(str::to_owned));
        if let Some(g) = &self.batch_job_log_group_name {
            props = props.log_configuration(
                LogConfiguration::builder()
                    .log_driver(LogDriver::Awslogs)
                    .options("awslogs-group", g)
                    .build(),
            );
        }
        if fargate {
            props = props
                .set_execution_role_arn(inputs.execution_role_arn.map(str::to_owned))
                .network_configuration(
                    NetworkConfiguration::builder()
                        .assign_public_ip(AssignPublicIp::Enabled)
                        .build(),
                )
                .fargate_platform_configuration(
                    FargatePlatformConfiguration::builder()
                        .platform_version("LATEST")
                        .build(),
                )
                .runtime_platform(
                    RuntimePlatform::builder()
                        .cpu_architecture(if self.architecture == "arm64" {
                            "ARM64"
                        } else {
                            "X86_64"
                        })
                        .operating_system_family("LINUX")
                        .build(),
                );
        }
        let mut retry = RetryStrategy::builder().attempts(self.retry_attempts as i32);
        for (action, field, pattern) in RULES {
            let b = EvaluateOnExit::builder().action(RetryAction::from(*action));
            let b = match *field {
                "onStatusReason" => b.on_status_reason(*pattern),
                "onExitCode" => b.on_exit_code(*pattern),
                _ => b.on_reason(*pattern),
            };
            retry = retry.evaluate_on_exit(b.build());
        }
        let made = clients
            .batch
            .register_job_definition()
            .job_definition_name(&name)
            .r#type(JobDefinitionType::Container)
            .platform_capabilities(if fargate { PlatformCapability::Fargate } else { PlatformCapability::Ec2 })
            .container_properties(props.build())
            .retry_strategy(retry.build())
            .tags("orbital", "task-runner")
            .tags("orbital-build", inputs.build_id)
            .send()
            .await
            .map_err(|e| {
                let said = said(&e);
                let hint = if said.contains("AccessDenied") {
                    ": the credentials need batch:RegisterJobDefinition (and iam:PassRole on the job role)"
                } else {
                    ""
                };
                format!("cannot register the job definition {name}: {said}{hint}")
            })?;
        let rev = made.revision().unwrap_or(1);
        tracing::info!(definition = %name, rev, "registered the job definition");
        Ok(format!("{name}:{rev}"))
    }
}

/// A resource requirement.
pub(super) fn requirement(kind: ResourceType, value: impl Into<String>) -> ResourceRequirement {
    ResourceRequirement::builder()
        .r#type(kind)
        .value(value)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_follows_what_the_job_runs() {
        let e = AwsBatchExecutor::new();
        let i = Inputs {
            build_id: "abc",
            platform: "EC2",
            job_role_arn: None,
            execution_role_arn: None,
        };
        let a = e.definition_name(&i);
        assert!(
            a.starts_with("orbital-") && a.len() == "orbital-".len() + 16,
            "{a}"
        );
        assert_eq!(a, e.definition_name(&i));
        let other = Inputs {
            build_id: "abd",
            ..i.clone()
        };
        assert_ne!(a, e.definition_name(&other));
        let image = AwsBatchExecutor::new().container_image_uri("debian:12".to_owned());
        assert_ne!(a, image.definition_name(&i));
        // Per-task settings are overrides, not the definition's.
        assert_eq!(a, AwsBatchExecutor::new().vcpu(8.0).definition_name(&i));
    }
}
