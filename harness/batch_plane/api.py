"""Batch's job operations, served by the plane (REST-JSON, POST /v1/<operation>): SubmitJob,
DescribeJobs, ListJobs, TerminateJob, CancelJob. RegisterJobDefinition is checked here (the
attempt timeout's minimum, the retry strategy) and then passed to moto, like every other Batch
operation (the definitions, queues and compute environments live in moto).

Errors are Batch's: HTTP 400, header x-amzn-ErrorType: ClientException, body
{"__type": "ClientException", "message": ...} (the Rust SDK takes the code from the header, else
from the body's "code" or "__type", and the message from "message"). The messages are the plane's
own wording where Batch's exact text is not known. TerminateJob and CancelJob of an unknown job id
succeed and do nothing (as moto does); DescribeJobs leaves unknown ids out."""

import base64
import json
import re
import uuid

from . import retry, shapes
from .jobs import STATES, Job
from .logs import log_settings

JOB_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")
OWN_OPS = ("SubmitJob", "DescribeJobs", "ListJobs", "TerminateJob", "CancelJob")


class ClientError(Exception):
    pass


def error_answer(message, error_type="ClientException", status=400):
    body = json.dumps({"__type": error_type, "message": message}).encode()
    return status, [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type),
                    ("x-amzn-RequestId", str(uuid.uuid4()))], body


def ok_answer(obj):
    return 200, [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))], json.dumps(obj).encode()


def _resources(rr_list, vcpus, memory):
    """{VCPU, MEMORY, GPU: value string} from resourceRequirements and the legacy fields."""
    out = {}
    if vcpus is not None:
        out["VCPU"] = str(vcpus)
    if memory is not None:
        out["MEMORY"] = str(memory)
    for r in rr_list or []:
        t = str(r.get("type", "")).upper()
        if t not in ("VCPU", "MEMORY", "GPU"):
            raise ClientError("resourceRequirements type must be one of GPU | VCPU | MEMORY, got %r" % r.get("type"))
        out[t] = str(r.get("value"))
    return out


def _merge_env(*lists):
    merged = {}
    for lst in lists:
        for kv in lst or []:
            if "name" not in kv:
                raise ClientError("environment variables need a name")
            merged[kv["name"]] = kv.get("value", "")
    return [{"name": k, "value": v} for k, v in merged.items()]


class BatchApi:
    def __init__(self, plane):
        self.plane = plane
        self.cfg = plane.cfg

    def handle(self, op, body):
        """(status, headers, body) of one of OWN_OPS, or None for RegisterJobDefinition when it
        passes the checks (the caller then forwards it)."""
        try:
            doc = json.loads(body or b"{}")
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError as e:
            return error_answer("Could not parse the request body: %s" % e, "SerializationException")
        try:
            if op == "RegisterJobDefinition":
                self.check_definition(doc)
                return None
            return ok_answer(getattr(self, op.lower())(doc))
        except ClientError as e:
            return error_answer(str(e))

    # -- RegisterJobDefinition (checked, then moto's) ----------------------------------------

    def check_definition(self, doc):
        t = (doc.get("timeout") or {}).get("attemptDurationSeconds")
        if t is not None and (not isinstance(t, int) or t < self.cfg.min_attempt_duration):
            raise ClientError("timeout.attemptDurationSeconds must be at least %d seconds, got %s"
                              % (self.cfg.min_attempt_duration, t))
        err = retry.validate(doc.get("retryStrategy"))
        if err:
            raise ClientError(err)

    # -- SubmitJob ----------------------------------------------------------------------------

    def submitjob(self, doc):
        cfg = self.cfg
        moto = self.plane.moto
        name = doc.get("jobName")
        if not name or not isinstance(name, str):
            raise ClientError("'jobName' is a required field")
        if not JOB_NAME_RE.match(name):
            raise ClientError("Job name %r must be 1-128 letters, numbers, hyphens and underscores, starting with "
                              "a letter or a number" % name)
        q_ident, d_ident = doc.get("jobQueue"), doc.get("jobDefinition")
        if not q_ident:
            raise ClientError("'jobQueue' is a required field")
        if not d_ident:
            raise ClientError("'jobDefinition' is a required field")
        queue = moto.queue(q_ident)
        if queue is None:
            raise ClientError("Job Queue %s not found" % q_ident)
        if queue.get("state", "ENABLED") != "ENABLED":
            raise ClientError("Job Queue %s is %s: it does not accept jobs" % (q_ident, queue.get("state")))
        order = sorted(queue.get("computeEnvironmentOrder") or [], key=lambda o: o.get("order", 0))
        if not order:
            raise ClientError("Job Queue %s has no compute environment" % q_ident)
        ce_ident = order[0]["computeEnvironment"]
        ce_name = ce_ident.rsplit("/", 1)[-1]
        ce_type = moto.ce_type(ce_ident) or "EC2"
        d = moto.definition(d_ident)
        if d is None:
            raise ClientError("Job definition %s does not exist" % d_ident)
        if d.get("status") != "ACTIVE":
            raise ClientError("Job definition %s is %s" % (d["jobDefinitionArn"], d.get("status")))
        if d.get("type", "container") != "container" or not d.get("containerProperties"):
            raise ClientError("orbital test plane: only container job definitions run here (%s is %s)"
                              % (d["jobDefinitionArn"], d.get("type")))
        caps = d.get("platformCapabilities") or ["EC2"]
        if ("FARGATE" in caps) != ce_type.startswith("FARGATE"):
            raise ClientError("Job definition %s (platformCapabilities %s) is not compatible with Job Queue %s "
                              "(compute environment %s is %s)" % (d["jobDefinitionArn"], ",".join(caps),
                                                                   queue["jobQueueArn"], ce_name, ce_type))
        props = d["containerProperties"]
        ov = doc.get("containerOverrides") or {}
        for kv in ov.get("environment") or []:
            if str(kv.get("name", "")).startswith("AWS_BATCH"):
                raise ClientError("Environment variable names starting with AWS_BATCH are reserved: %s" % kv["name"])
        environment = _merge_env(props.get("environment"), ov.get("environment"))
        res = _resources(props.get("resourceRequirements"), props.get("vcpus"), props.get("memory"))
        res.update(_resources(ov.get("resourceRequirements"), ov.get("vcpus"), ov.get("memory")))
        try:
            vcpus = float(res["VCPU"]) if "VCPU" in res else None
            memory = int(float(res["MEMORY"])) if "MEMORY" in res else None
        except ValueError:
            raise ClientError("VCPU and MEMORY must be numbers: %s" % res)
        if vcpus is None or vcpus <= 0:
            raise ClientError("The job needs a VCPU requirement greater than 0 (definition or containerOverrides)")
        if memory is None or memory < 4:
            raise ClientError("The job needs a MEMORY requirement of at least 4 MiB (definition or containerOverrides)")
        legacy = not props.get("resourceRequirements") and not ov.get("resourceRequirements")
        rr_wire = [] if legacy else [{"type": t, "value": v} for t, v in res.items()]
        command = ov["command"] if ov.get("command") else list(props.get("command") or [])

        timeout = (doc.get("timeout") or {}).get("attemptDurationSeconds")
        if timeout is not None:
            if not isinstance(timeout, int) or timeout < cfg.min_attempt_duration:
                raise ClientError("timeout.attemptDurationSeconds must be at least %d seconds, got %s"
                                  % (cfg.min_attempt_duration, timeout))
        else:
            timeout = (d.get("timeout") or {}).get("attemptDurationSeconds")
        strategy = doc["retryStrategy"] if doc.get("retryStrategy") is not None else d.get("retryStrategy")
        err = retry.validate(strategy)
        if err:
            raise ClientError(err)

        size = (doc.get("arrayProperties") or {}).get("size")
        if size is not None and (not isinstance(size, int) or not 2 <= size <= 10000):
            raise ClientError("Array job size must be between 2 and 10000, got %s" % size)

        sched = self.plane.scheduler
        deps, deps_wire = [], []
        for dep in doc.get("dependsOn") or []:
            if dep.get("type") not in (None, ""):
                raise ClientError("orbital test plane: dependsOn type %s is not supported" % dep.get("type"))
            j = sched.find(dep.get("jobId", ""))
            if j is None:
                raise ClientError("Dependent job %s does not exist" % dep.get("jobId"))
            deps.append(j)
            deps_wire.append({"jobId": j.id})
        if len(deps) > 20:
            raise ClientError("A job can depend on at most 20 jobs")

        group, prefix, create = log_settings(d)
        spec = {
            "jobName": name,
            "arn_prefix": "arn:aws:batch:%s:%s" % (cfg.region, cfg.account),
            "array_size": size,
            "queue_arn": queue["jobQueueArn"], "queue_name": queue["jobQueueName"], "ce_name": ce_name,
            "definition": d, "def_arn": d["jobDefinitionArn"], "def_name": d["jobDefinitionName"],
            "command": command, "environment": environment, "vcpus": vcpus, "memory": memory,
            "resource_requirements": rr_wire,
            "vcpus_legacy": int(vcpus) if legacy and vcpus == int(vcpus) else None,
            "memory_legacy": memory if legacy else None,
            "timeout": timeout, "retry_strategy": strategy,
            "log_group": group, "stream_prefix": prefix, "create_log_group": create,
            "job_role_arn": props.get("jobRoleArn"),
            "parameters": dict(d.get("parameters") or {}, **(doc.get("parameters") or {})),
            "tags": doc.get("tags") or {},
            "propagate_tags": doc.get("propagateTags", d.get("propagateTags")),
            "platform_capabilities": caps,
            "depends_on": deps, "depends_on_wire": deps_wire,
            "scheduling_priority": doc.get("schedulingPriorityOverride"),
            "share_identifier": doc.get("shareIdentifier"),
        }
        job_id = str(uuid.uuid4())
        job = Job(spec, job_id)
        if size is not None:
            job.children = [Job(spec, "%s:%d" % (job_id, i), parent=job, index=i) for i in range(size)]
        sched.add(job)
        self.plane.stats.job("submitted")
        if size:
            self.plane.stats.job("array_children", size)
        return {"jobArn": job.arn, "jobName": name, "jobId": job_id}

    # -- DescribeJobs, ListJobs ---------------------------------------------------------------

    def describejobs(self, doc):
        ids = doc.get("jobs")
        if not isinstance(ids, list):
            raise ClientError("'jobs' is a required field")
        if len(ids) > 100:
            raise ClientError("The jobs list can hold at most 100 job IDs, got %d" % len(ids))
        sched = self.plane.scheduler
        with sched.lock:
            found = [sched.find(i) for i in ids]
            return {"jobs": [shapes.job_detail(j) for j in found if j is not None]}

    def listjobs(self, doc):
        sched = self.plane.scheduler
        queue, array_id = doc.get("jobQueue"), doc.get("arrayJobId")
        if doc.get("multiNodeJobId"):
            return {"jobSummaryList": []}  # no multi-node jobs here
        if not queue and not array_id:
            raise ClientError("One of jobQueue, arrayJobId or multiNodeJobId is required")
        filters = doc.get("filters") or []
        status = doc.get("jobStatus")
        if status is not None and status not in STATES:
            raise ClientError("jobStatus must be one of %s" % " | ".join(STATES))
        max_results = doc.get("maxResults") or 100
        if not isinstance(max_results, int) or not 1 <= max_results <= 1000:
            raise ClientError("maxResults must be between 1 and 1000")
        try:
            start = int(base64.b64decode(doc["nextToken"]).decode()) if doc.get("nextToken") else 0
        except (ValueError, UnicodeDecodeError):
            raise ClientError("Invalid nextToken")
        with sched.lock:
            if array_id:
                parent = sched.find(array_id)
                jobs = list(parent.children) if parent is not None and parent.is_parent else []
            else:
                jobs = [j for j in sched.jobs.values() if j.parent is None and queue in (j.queue_name, j.queue_arn)]
            if filters:
                jobs = [j for j in jobs if all(self._filter(j, f) for f in filters)]
            else:
                jobs = [j for j in jobs if j.status == (status or "RUNNING")]
            page = jobs[start:start + max_results]
            out = {"jobSummaryList": [shapes.job_summary(j) for j in page]}
        if start + max_results < len(jobs):
            out["nextToken"] = base64.b64encode(str(start + max_results).encode()).decode()
        return out

    @staticmethod
    def _filter(job, f):
        name, values = f.get("name"), f.get("values") or []
        if name == "JOB_NAME":
            return any(job.name.startswith(v[:-1]) if v.endswith("*") else job.name == v for v in values)
        if name == "JOB_DEFINITION":
            return any(v in (job.def_arn, job.def_name, "%s:%s" % (job.def_name, job.def_arn.rsplit(":", 1)[-1]))
                       or (v.endswith("*") and job.def_arn.rsplit("/", 1)[-1].startswith(v[:-1])) for v in values)
        if name == "BEFORE_CREATED_AT":
            return all(job.created_at < int(v) for v in values)
        if name == "AFTER_CREATED_AT":
            return all(job.created_at > int(v) for v in values)
        raise ClientError("filters name must be one of JOB_NAME | JOB_DEFINITION | BEFORE_CREATED_AT | AFTER_CREATED_AT")

    # -- TerminateJob, CancelJob --------------------------------------------------------------

    def _stop(self, doc, cancel):
        job_id, reason = doc.get("jobId"), doc.get("reason")
        if not job_id:
            raise ClientError("'jobId' is a required field (cannot be an empty string)")
        if not reason:
            raise ClientError("'reason' is a required field (cannot be an empty string)")
        job = self.plane.scheduler.find(job_id)
        if job is not None:
            self.plane.scheduler.terminate(job, reason, cancel=cancel)
        return {}

    def terminatejob(self, doc):
        return self._stop(doc, cancel=False)

    def canceljob(self, doc):
        return self._stop(doc, cancel=True)
