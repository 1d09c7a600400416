"""The AWS Batch job plane of orbital's test harness (started by harness/aws; read its header too).

    PYTHONPATH=harness $VENV/bin/python -m batch_plane --port 4567 --moto 127.0.0.1:5000 \
        --state /tmp/orb-aws/batch --state-delay 0.02 --stop-timeout 2

What it is. One HTTP endpoint (127.0.0.1:4567) in front of moto. moto keeps Batch's control plane
(compute environments, job queues, job definitions) but cannot run a job without Docker, so the
plane serves Batch's job operations itself (SubmitJob, DescribeJobs, ListJobs, TerminateJob,
CancelJob) and runs every job attempt as a real process on this host. Everything else (the rest of
Batch, S3 path-style, IAM, STS, CloudWatch Logs) passes to moto unchanged; the Rust SDK can use the
plane as its one endpoint_url.

What it reproduces (the parts of Batch that orbital's executor depends on):
* SubmitJob's validation: the queue exists (and is ENABLED), the definition exists (name,
  name:revision or ARN) and is ACTIVE, a FARGATE definition goes to a FARGATE queue and an EC2
  one to an EC2 queue, attemptDurationSeconds >= 60 (--min-attempt-duration), array size
  2..10000, retry attempts 1..10, no AWS_BATCH_* names in the environment; errors are
  ClientException (HTTP 400, x-amzn-ErrorType and __type).
* The states SUBMITTED -> PENDING -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED | FAILED, one
  step per --state-delay; RUNNABLE jobs wait for vCPU and memory (--vcpus, --memory-mib); array
  jobs: the parent is PENDING while its children run, statusSummary counts them, children are
  <jobId>:<index> with AWS_BATCH_JOB_ARRAY_INDEX; dependsOn on job ids (no N_TO_N / SEQUENTIAL).
* An attempt: the command (Ref::name parameters substituted) exec'd without a shell, in its own
  process group, in a fresh empty directory (HOME), with only Batch's environment (PATH, the
  definition's and the override's variables, AWS_BATCH_JOB_ID / _ATTEMPT / _JQ_NAME / _CE_NAME /
  _JOB_ARRAY_INDEX, AWS_REGION, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL = the plane, test keys only
  with a jobRoleArn). Its output goes to moto's CloudWatch Logs, stream
  <definition>/default/<task id>, one event per line, about every second and at the end.
* Failures as Batch reports them: a non-zero exit ("Essential container in task exited" with the
  exitCode), the attempt timeout (SIGTERM, SIGKILL after --stop-timeout; "Job attempt duration
  exceeded timeout"; not retried), out of memory (the group's RSS over the job's MEMORY: SIGKILL,
  exitCode 137, reason "OutOfMemoryError: Container killed due to memory usage"), a lost host
  ("Host EC2 (instance i-...) terminated.", no exit code), a command that cannot be exec'd
  ("CannotStartContainerError: ..."); retryStrategy with evaluateOnExit (onStatusReason,
  onReason, onExitCode; exact or trailing-* globs; no match -> retry); TerminateJob and CancelJob
  with Batch's difference (cancel leaves STARTING and RUNNING jobs alone).
* S3 presigned URLs (SigV4 X-Amz-Date + X-Amz-Expires, SigV2 Expires) past their expiry get S3's
  403 AccessDenied "Request has expired" (moto does not check expiry).
* Test hooks under /_plane/ (health, stats, reset-stats, jobs, lose-host, hold, clear).

What it CANNOT prove:
* The image's contents: the job runs on this host's file system and binaries, as the plane's
  user, not in container_image_uri (the image is only echoed back).
* cgroup memory limits: memory is the process group's RSS sampled every ~50 ms, so a fast
  allocation may overshoot before the kill, and shared pages count in every process; a process
  that leaves the group (setsid) escapes both the limit and the kill.
* GPUs (counted as a requirement, never provided), networking (awsvpc, security groups, no
  internet), IAM enforcement (job roles and execution roles are not enforced; any key works),
  real scheduler latency (Batch takes seconds to minutes per state; here --state-delay), Spot
  interruptions other than the lose-host hook, instance types, multi-node jobs and EKS.
"""

