"""The test hooks on the plane's port (JSON in and out), and the faults they queue.

    GET  /_plane/health                  {"ok": true, "moto": ..., "version": ..., "pid": ...}
    GET  /_plane/stats                   {"since", "requests": {SERVICE: {OPERATION: n}},
                                          "jobs": {"submitted", "array_children", "attempts",
                                          "succeeded", "failed", "running", "max_running", ...}}
    POST /_plane/reset-stats             zero the counters (max_running restarts at running)
    GET  /_plane/jobs                    every job: status, reason, attempts (pid, directory,
                                          output file, peak RSS, retry decision), slots
    POST /_plane/lose-host?job=ID        the host of RUNNING job (or child) ID goes now (409 if
                                          it is not RUNNING, 404 if unknown)
    POST /_plane/lose-host?count=N&after=S   the next N attempts to reach RUNNING lose their
                                          host S seconds (default 0.5) after they start
    POST /_plane/hold?count=N&seconds=S  the next N jobs to reach RUNNABLE (children one by one,
                                          first attempt only) wait S more seconds there
    POST /_plane/clear                   drop the lose-host and hold faults not yet used

Job counters (in /_plane/stats "jobs"): submitted (accepted SubmitJobs), array_children,
attempts (attempts begun), succeeded / failed (single jobs and children),
arrays_succeeded / arrays_failed (array parents), retries, oom_kills, timeouts, lost_hosts,
terminated, cancelled, running (attempts whose process is alive), max_running."""

import collections
import threading


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.lose = collections.deque()  # seconds after RUNNING
        self.holds = collections.deque()  # extra seconds in RUNNABLE

    def add_lose(self, count, after):
        with self.lock:
            self.lose.extend([after] * count)

    def take_lose(self):
        with self.lock:
            return self.lose.popleft() if self.lose else None

    def add_hold(self, count, seconds):
        with self.lock:
            self.holds.extend([seconds] * count)

    def take_hold(self):
        with self.lock:
            return self.holds.popleft() if self.holds else None

    def clear(self):
        with self.lock:
            n = {"lose_host": len(self.lose), "hold": len(self.holds)}
            self.lose.clear()
            self.holds.clear()
            return n

    def snapshot(self):
        with self.lock:
            return {"lose_host": list(self.lose), "hold": list(self.holds)}


def _num(query, key, default, kind=float):
    v = query.get(key, [None])[0]
    if v is None or v == "":
        return default
    return kind(v)


def job_debug(job):
    out = {
        "jobId": job.id, "jobName": job.name, "status": job.status, "statusReason": job.status_reason,
        "queue": job.queue_name, "definition": job.def_arn, "vcpus": job.vcpus, "memory": job.memory,
        "timeout": job.timeout, "attemptsMax": job.attempts_max(), "terminateReason": job.terminate_reason,
        "createdAt": job.created_at, "startedAt": job.started_at, "stoppedAt": job.stopped_at,
        "attempts": [{
            "number": a.number, "pid": a.pid, "dir": a.dir, "output": a.log_path, "logStreamName": a.log_stream,
            "startedAt": a.started_at, "stoppedAt": a.stopped_at, "exitCode": a.exit_code, "reason": a.reason,
            "statusReason": a.status_reason, "killedFor": a.kill_why, "peakRssMiB": round(a.peak_rss / 1048576.0, 1),
            "instance": a.instance, "decision": a.decision,
        } for a in job.attempts],
    }
    if job.is_parent:
        out["arraySize"] = job.array_size
        out["statusSummary"] = job.status_summary()
    if job.parent is not None:
        out["parent"] = job.parent.id
        out["index"] = job.index
    return out


def control(plane, method, path, query):
    """(HTTP status, JSON object) of a /_plane/ request."""
    sched = plane.scheduler
    if path == "/_plane/health":
        return 200, {"ok": True, "moto": plane.cfg.moto, "port": plane.cfg.port, "version": plane.cfg.version,
                     "pid": plane.pid, "state_delay": plane.cfg.state_delay, "stop_timeout": plane.cfg.stop_timeout,
                     "min_attempt_duration": plane.cfg.min_attempt_duration}
    if path == "/_plane/stats" and method == "GET":
        return 200, plane.stats.snapshot()
    if path == "/_plane/reset-stats" and method == "POST":
        plane.stats.reset()
        return 200, {"ok": True}
    if path == "/_plane/jobs" and method == "GET":
        with sched.lock:
            return 200, {"jobs": [job_debug(j) for j in sched.jobs.values()],
                         "free": {"vcpus": sched.free_vcpus, "memory_mib": sched.free_memory},
                         "faults": plane.faults.snapshot()}
    try:
        if path == "/_plane/lose-host" and method == "POST":
            ident = query.get("job", [None])[0]
            if ident:
                job = sched.find(ident)
                if job is None:
                    return 404, {"error": "no job %s" % ident}
                if not sched.lose_host(job):
                    return 409, {"error": "job %s is %s, not RUNNING" % (ident, job.status)}
                return 200, {"ok": True, "lost": ident}
            count = _num(query, "count", 1, int)
            plane.faults.add_lose(count, _num(query, "after", 0.5))
            return 200, {"ok": True, "pending": plane.faults.snapshot()}
        if path == "/_plane/hold" and method == "POST":
            plane.faults.add_hold(_num(query, "count", 1, int), _num(query, "seconds", 5.0))
            with sched.lock:
                sched.cond.notify_all()
            return 200, {"ok": True, "pending": plane.faults.snapshot()}
    except ValueError as e:
        return 400, {"error": "bad number: %s" % e}
    if path == "/_plane/clear" and method == "POST":
        return 200, {"ok": True, "cleared": plane.faults.clear()}
    return 404, {"error": "unknown plane endpoint %s %s" % (method, path), "endpoints": [
        "GET /_plane/health", "GET /_plane/stats", "POST /_plane/reset-stats", "GET /_plane/jobs",
        "POST /_plane/lose-host?job=ID", "POST /_plane/lose-host?count=N&after=SECONDS",
        "POST /_plane/hold?count=N&seconds=S", "POST /_plane/clear"]}
