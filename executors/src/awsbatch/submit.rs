//! Submitting ready tasks: those of one shape (resources, timeout) go out as one array job.
//! Their specs are one S3 object, the manifest gives each child its byte range and the
//! presigned URL its outcome goes to, and one `SubmitJob` carries the rest in its overrides.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use aws_sdk_batch::types::{
    ArrayProperties, ContainerOverrides, JobTimeout, KeyValuePair, ResourceType,
};
use aws_sdk_s3::presigning::PresigningConfig;
use orbital_core::{protocol, JobHandle, Task};

use super::config::{AwsBatchExecutor, MIN_ATTEMPT_SECS};
use super::definition::requirement;
use super::handle::Handle;
use super::state::{Clients, Prepared, Shape, Submission};
use crate::aws::s3io::{self, S3Ref};
use crate::aws::said::said;

impl AwsBatchExecutor {
    /// Submits `tasks`: one array job (or single job) per shape, a handle per task.
    pub(super) async fn submit_tasks(&self, tasks: Vec<Task>) -> Result<Vec<JobHandle>, String> {
        let clients = self.clients().await?;
        let prep = self.prepare().await?;
        let mut groups: BTreeMap<Option<u64>, Vec<(usize, Task)>> = BTreeMap::new();
        for (i, t) in tasks.into_iter().enumerate() {
            let timeout = self.attempt_secs(t.spec.time_limit);
            groups.entry(timeout).or_default().push((i, t));
        }
        let total: usize = groups.values().map(Vec::len).sum();
        let mut handles: Vec<Option<JobHandle>> = vec![None; total];
        for (timeout, group) in groups {
            for chunk in group.chunks(self.array_size.max(1)) {
                let made = self.submit_chunk(&clients, &prep, timeout, chunk).await?;
                for ((i, _), h) in chunk.iter().zip(made) {
                    handles[*i] = Some(h);
                }
            }
        }
        Ok(handles.into_iter().flatten().collect())
    }

    /// `attemptDurationSeconds` for a task with `limit`: the electron's own (at least Batch's
    /// 60 s), else `time_limit`; `None` for no timeout.
    fn attempt_secs(&self, limit: Option<Duration>) -> Option<u64> {
        match limit {
            Some(l) => Some(l.as_secs_f64().ceil().max(MIN_ATTEMPT_SECS as f64) as u64),
            None => (self.time_limit > 0).then_some(self.time_limit),
        }
    }

    async fn submit_chunk(
        &self,
        clients: &Clients,
        prep: &Prepared,
        timeout: Option<u64>,
        chunk: &[(usize, Task)],
    ) -> Result<Vec<JobHandle>, String> {
        let first = &chunk[0].1.spec;
        let nanos = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let prefix = format!(
            "orbital/{}/{}-{}-{nanos}",
            first.dispatch_id, first.node_id, first.attempt
        );
        let mut frames = Vec::new();
        let mut ranges = Vec::with_capacity(chunk.len());
        for (_, task) in chunk {
            let mut spec = task.spec.clone();
            spec.build_id = prep.build_id.clone();
            let start = frames.len() as u64;
            protocol::write_spec(&mut frames, &spec)
                .map_err(|e| format!("cannot encode a task spec: {e}"))?;
            ranges.push((start, frames.len() as u64 - 1));
        }
        let specs = S3Ref {
            bucket: self.s3_bucket_name.clone(),
            key: format!("{prefix}/specs"),
        };
        s3io::put(&clients.s3, &specs, frames).await?;
        let short = first
            .electron
            .rsplit("::")
            .next()
            .unwrap_or(&first.electron);
        let same = chunk.iter().all(|(_, t)| t.spec.electron == first.electron);
        let shape = Shape {
            job_name: job_name(if same { short } else { "tasks" }),
            vcpu: self.vcpu,
            memory_mib: self.memory_mib(),
            gpus: self.num_gpus,
            timeout,
            dispatch_id: first.dispatch_id.clone(),
        };
        let mut sub = Submission {
            prefix: prefix.clone(),
            specs,
            ranges,
            shape,
            resubmits: 0,
        };
        let all: Vec<usize> = (0..chunk.len()).collect();
        let job_id = self.send(clients, prep, &mut sub, &all).await?;
        tracing::info!(job = %job_id, tasks = chunk.len(), "submitted to AWS Batch");
        self.state
            .submissions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(prefix.clone(), sub);
        Ok((0..chunk.len())
            .map(|i| {
                let element = if chunk.len() == 1 {
                    job_id.clone()
                } else {
                    format!("{job_id}:{i}")
                };
                Handle::new(&element, &prefix, i).into()
            })
            .collect())
    }

    /// Writes a manifest for the elements `which` of `sub` (fresh URLs) and submits them as one
    /// job; returns its id (children are `<id>:<position in which>`).
    pub(super) async fn send(
        &self,
        clients: &Clients,
        prep: &Prepared,
        sub: &mut Submission,
        which: &[usize],
    ) -> Result<String, String> {
        let ttl = PresigningConfig::expires_in(Duration::from_secs(self.presign_ttl))
            .map_err(|e| format!("`presign_ttl = {}`: {e}", self.presign_ttl))?;
        let mut manifest = String::new();
        for &i in which {
            let (a, b) = sub.ranges[i];
            let out = clients
                .s3
                .put_object()
                .bucket(&sub.specs.bucket)
                .key(format!("{}/out.{i}", sub.prefix))
                .presigned(ttl.clone())
                .await
                .map_err(|e| format!("cannot presign an outcome's URL: {}", said(&e)))?;
            manifest.push_str(&format!("{a}-{b} {}\n", out.uri()));
        }
        let name = if sub.resubmits == 0 {
            "manifest".to_owned()
        } else {
            format!("manifest.r{}", sub.resubmits)
        };
        let m = S3Ref {
            bucket: sub.specs.bucket.clone(),
            key: format!("{}/{name}", sub.prefix),
        };
        s3io::put(&clients.s3, &m, manifest.into_bytes()).await?;
        let get = |r: &S3Ref| {
            let (s3, r, ttl) = (clients.s3.clone(), r.clone(), ttl.clone());
            async move {
                s3.get_object()
                    .bucket(&r.bucket)
                    .key(&r.key)
                    .presigned(ttl)
                    .await
                    .map(|p| p.uri().to_owned())
                    .map_err(|e| {
                        format!("cannot presign s3://{}/{}: {}", r.bucket, r.key, said(&e))
                    })
            }
        };
        let env = [
            ("ORBITAL_MANIFEST_URL", get(&m).await?),
            ("ORBITAL_PROGRAM_URL", get(&prep.program).await?),
            ("ORBITAL_SPECS_URL", get(&sub.specs).await?),
            ("ORBITAL_CAPTURE_LIMIT", self.capture_limit.to_string()),
        ];
        let shape = &sub.shape;
        let mut over = ContainerOverrides::builder()
            .resource_requirements(requirement(ResourceType::Vcpu, vcpus(shape.vcpu)))
            .resource_requirements(requirement(
                ResourceType::Memory,
                shape.memory_mib.to_string(),
            ));
        if shape.gpus > 0 {
            over =
                over.resource_requirements(requirement(ResourceType::Gpu, shape.gpus.to_string()));
        }
        for (k, v) in env {
            over = over.environment(KeyValuePair::builder().name(k).value(v).build());
        }
        let sent = clients
            .batch
            .submit_job()
            .job_name(&shape.job_name)
            .job_queue(&prep.queue_arn)
            .job_definition(&prep.definition)
            .container_overrides(over.build())
            .set_array_properties(
                (which.len() >= 2).then(|| ArrayProperties::builder().size(which.len() as i32).build()),
            )
            .set_timeout(
                shape
                    .timeout
                    .map(|t| JobTimeout::builder().attempt_duration_seconds(t.min(i32::MAX as u64) as i32).build()),
            )
            .tags("orbital-dispatch", &shape.dispatch_id)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "SubmitJob to batch_queue `{}` was refused: {}; check `batch_queue`, `vcpu`, `memory` and \
                     `num_gpus` against the queue's compute environments",
                    self.batch_queue,
                    said(&e)
                )
            })?;
        sub.resubmits += 1;
        sent.job_id()
            .map(str::to_owned)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| "SubmitJob answered without a job id".to_owned())
    }
}

/// Batch's vCPU value: `2`, `0.25`.
fn vcpus(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A job name Batch takes: letters, digits, `-` and `_`, at most 128.
fn job_name(electron: &str) -> String {
    let clean: String = electron
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    format!("orbital-{clean}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_batch_takes_them() {
        assert_eq!(vcpus(2.0), "2");
        assert_eq!(vcpus(0.25), "0.25");
        assert_eq!(job_name("hello<T>"), "orbital-hello_T_");
        let e = AwsBatchExecutor::new();
        assert_eq!(e.attempt_secs(None), Some(300));
        assert_eq!(e.attempt_secs(Some(Duration::from_secs(2))), Some(60));
        assert_eq!(
            e.attempt_secs(Some(Duration::from_millis(90_500))),
            Some(91)
        );
        assert_eq!(
            AwsBatchExecutor::new().time_limit(0).attempt_secs(None),
            None
        );
    }
}
