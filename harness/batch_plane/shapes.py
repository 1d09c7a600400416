"""Jobs in Batch's wire shapes (botocore's batch 2016-08-10 model, which the Rust SDK aws-sdk-batch
is generated from): JobDetail for DescribeJobs, JobSummary for ListJobs. Times are epoch
milliseconds (Long); absent values are left out, never null. attempts[] holds the attempts that
have ended (as in Batch: a RUNNING job's current attempt is not listed yet); the job's container
carries the latest attempt's exitCode, reason, taskArn and logStreamName."""


def prune(obj):
    """The object without None values (recursively in dicts and lists)."""
    if isinstance(obj, dict):
        return {k: prune(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


def _ended(job):
    return [a for a in job.attempts if a.stopped_at is not None]


def _latest(job):
    if job.current is not None and job.current.pid is not None:
        return job.current
    ended = _ended(job)
    return ended[-1] if ended else None


def container(job):
    spec = job.spec
    props = spec["definition"].get("containerProperties") or {}
    c = {
        "image": props.get("image"),
        "command": job.command,
        "environment": job.environment,
        "resourceRequirements": spec["resource_requirements"],
        "jobRoleArn": props.get("jobRoleArn"),
        "executionRoleArn": props.get("executionRoleArn"),
        "volumes": props.get("volumes") or [],
        "mountPoints": props.get("mountPoints") or [],
        "ulimits": props.get("ulimits") or [],
        "secrets": props.get("secrets") or [],
        "logConfiguration": props.get("logConfiguration"),
        "networkInterfaces": [],
    }
    if spec["vcpus_legacy"] is not None:
        c["vcpus"] = spec["vcpus_legacy"]
    if spec["memory_legacy"] is not None:
        c["memory"] = spec["memory_legacy"]
    for k in ("fargatePlatformConfiguration", "networkConfiguration", "runtimePlatform", "ephemeralStorage",
              "linuxParameters", "user", "privileged", "readonlyRootFilesystem"):
        if props.get(k) is not None:
            c[k] = props[k]
    a = None if job.is_parent else _latest(job)
    if a is not None:
        c.update(exitCode=a.exit_code, reason=a.reason, taskArn=a.task_arn, logStreamName=a.log_stream,
                 containerInstanceArn=a.container_instance_arn)
    return c


def array_properties(job):
    if job.is_parent:
        return {"statusSummary": job.status_summary(), "size": job.array_size}
    if job.parent is not None:
        return {"index": job.index}
    return None


def job_detail(job):
    spec = job.spec
    d = {
        "jobArn": job.arn,
        "jobName": job.name,
        "jobId": job.id,
        "jobQueue": job.queue_arn,
        "status": job.status,
        "statusReason": job.status_reason,
        "attempts": [a.detail() for a in _ended(job)],
        "createdAt": job.created_at,
        "startedAt": job.started_at,
        "stoppedAt": job.stopped_at,
        "dependsOn": spec["depends_on_wire"] if job.parent is None else [],
        "jobDefinition": job.def_arn,
        "parameters": spec["parameters"],
        "container": container(job),
        "arrayProperties": array_properties(job),
        "timeout": {"attemptDurationSeconds": job.timeout} if job.timeout else None,
        "retryStrategy": job.retry_strategy,
        "tags": spec["tags"] or None,
        "propagateTags": spec["propagate_tags"],
        "platformCapabilities": spec["platform_capabilities"],
        "isCancelled": job.is_cancelled,
        "isTerminated": job.is_terminated,
    }
    if spec.get("scheduling_priority") is not None:
        d["schedulingPriority"] = spec["scheduling_priority"]
    if spec.get("share_identifier") is not None:
        d["shareIdentifier"] = spec["share_identifier"]
    return prune(d)


def job_summary(job):
    a = None if job.is_parent else _latest(job)
    s = {
        "jobArn": job.arn,
        "jobId": job.id,
        "jobName": job.name,
        "createdAt": job.created_at,
        "status": job.status,
        "statusReason": job.status_reason,
        "startedAt": job.started_at,
        "stoppedAt": job.stopped_at,
        "container": {"exitCode": a.exit_code, "reason": a.reason} if a is not None else None,
        "arrayProperties": array_properties(job),
        "jobDefinition": job.def_arn,
        "isCancelled": job.is_cancelled,
        "isTerminated": job.is_terminated,
    }
    return prune(s)
