"""Jobs, their attempts, and the scheduler: Batch's state machine and its vCPU / memory slots.

    SUBMITTED -> PENDING -> RUNNABLE -> STARTING -> RUNNING -> SUCCEEDED | FAILED

Each step takes --state-delay seconds (a state is visible at least that long). A job leaves PENDING
only when its dependencies (dependsOn) have SUCCEEDED (it FAILS when one fails), and RUNNABLE only
when its vCPUs and memory fit in what is free (first fit in submission order; a job that can never
fit stays RUNNABLE, as in Batch) and a test hold (POST /_plane/hold) is over. Leaving RUNNABLE
takes the slots; an attempt thread (runner.py) then spends STARTING, starts the process (RUNNING)
and reports back here when the process is gone: success, a retry (back to RUNNABLE, slots freed),
or FAILED. An array parent is SUBMITTED, then PENDING while its children (<jobId>:<index>, which
are SUBMITTED at once but move on only when the parent is PENDING) run; it SUCCEEDS when every
child did and FAILS when all are done and one failed. One lock (Scheduler.lock) guards every
job's state; the scheduler thread sleeps on its condition until the next due step or a change.
"""

import itertools
import secrets
import threading
import time
import traceback

from . import retry

STATES = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
FINAL = frozenset(("SUCCEEDED", "FAILED"))
BEFORE_START = frozenset(("SUBMITTED", "PENDING", "RUNNABLE"))
EXITED = "Essential container in task exited"


def now_ms():
    return int(time.time() * 1000)


class StartError(Exception):
    """An attempt that cannot start: its container reason."""


class Attempt:
    def __init__(self, job, number, cfg):
        self.job = job
        self.number = number
        self.task_id = secrets.token_hex(16)
        self.task_arn = "arn:aws:ecs:%s:%s:task/orbital-batch/%s" % (cfg.region, cfg.account, self.task_id)
        self.container_instance_arn = "arn:aws:ecs:%s:%s:container-instance/orbital-batch/%s" % (
            cfg.region, cfg.account, secrets.token_hex(16))
        self.instance = "i-" + secrets.token_hex(9)[:17]
        self.log_stream = "%s/default/%s" % (job.stream_prefix, self.task_id) if job.log_group else None
        self.started_at = self.stopped_at = None  # epoch ms
        self.t0 = None  # monotonic, when RUNNING
        self.exit_code = self.reason = self.status_reason = None
        self.start_failed = False
        self.kill_why = None  # timeout | oom | lost | terminate
        self.term_at = None  # monotonic, when the group got SIGTERM
        self.killed = False  # the group got SIGKILL
        self.lose_at = None  # monotonic, when the host goes (a lose-host fault)
        self.proc = self.pid = self.dir = self.log_path = None
        self.peak_rss = 0  # bytes, the group's largest sampled RSS
        self.log_offset = 0
        self.ship_lock = threading.Lock()
        self.decision = None  # the retry decision after it failed

    def detail(self):
        """Batch's AttemptDetail."""
        return {
            "container": {
                "containerInstanceArn": self.container_instance_arn,
                "taskArn": self.task_arn,
                "exitCode": self.exit_code,
                "reason": self.reason,
                "logStreamName": self.log_stream,
                "networkInterfaces": [],
            },
            "startedAt": self.started_at,
            "stoppedAt": self.stopped_at,
            "statusReason": self.status_reason,
        }


class Job:
    """A job, an array parent or an array child. `spec` comes from SubmitJob (api.py)."""

    _seq = itertools.count()

    def __init__(self, spec, job_id, parent=None, index=None):
        self.seq = next(Job._seq)
        self.spec = spec
        self.id = job_id
        self.arn = "%s:job/%s" % (spec["arn_prefix"], job_id)
        self.name = spec["jobName"]
        self.parent = parent
        self.index = index
        self.children = []
        self.array_size = spec["array_size"] if parent is None else None
        for k in ("queue_arn", "queue_name", "ce_name", "def_arn", "def_name", "command", "environment",
                  "vcpus", "memory", "timeout", "retry_strategy", "log_group", "stream_prefix", "job_role_arn"):
            setattr(self, k, spec[k])
        self.depends_on = [] if parent is not None else list(spec["depends_on"])  # Job objects
        self.status = "SUBMITTED"
        self.status_reason = None
        self.created_at = now_ms()
        self.started_at = self.stopped_at = None
        self.attempts = []
        self.current = None
        self.due = time.monotonic()
        self.hold_until = 0.0
        self.held = False
        self.allocated = False
        self.terminate_reason = None
        self.is_cancelled = self.is_terminated = False

    @property
    def is_parent(self):
        return self.array_size is not None

    def attempts_max(self):
        return int((self.retry_strategy or {}).get("attempts") or 1)

    def status_summary(self):
        counts = {s: 0 for s in STATES}
        for c in self.children:
            counts[c.status] += 1
        return counts


class Scheduler:
    def __init__(self, plane):
        self.plane = plane
        self.cfg = plane.cfg
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.jobs = {}  # id -> Job (every job and child, in submission order)
        self.by_arn = {}
        self.active = {}  # id -> Job in SUBMITTED / PENDING / RUNNABLE (not parents)
        self.waiting_parents = {}  # id -> array parent in SUBMITTED
        self.running = set()  # attempts with a live process
        self.free_vcpus = float(self.cfg.vcpus)
        self.free_memory = int(self.cfg.memory_mib)
        self.stopping = False

    # -- from the API ------------------------------------------------------------------------

    def add(self, job):
        with self.lock:
            for j in [job] + job.children:
                self.jobs[j.id] = j
                self.by_arn[j.arn] = j
                j.due = time.monotonic() + self.cfg.state_delay
            if job.is_parent:
                self.waiting_parents[job.id] = job
                for c in job.children:
                    self.active[c.id] = c
            else:
                self.active[job.id] = job
            self.cond.notify_all()

    def find(self, ident):
        with self.lock:
            return self.jobs.get(ident) or self.by_arn.get(ident)

    def terminate(self, job, reason, cancel=False):
        """TerminateJob (cancel=False) or CancelJob (cancel=True) of a job or an array parent."""
        with self.lock:
            if job.status in FINAL:
                return
            targets = job.children if job.is_parent else [job]
            if job.is_parent:
                job.terminate_reason = job.terminate_reason or reason
                if cancel:
                    job.is_cancelled = True
                else:
                    job.is_terminated = True
            for t in targets:
                if t.status in FINAL:
                    continue
                if t.status in BEFORE_START:
                    self.plane.stats.job("cancelled" if cancel else "terminated")
                    t.is_cancelled, t.is_terminated = cancel, not cancel
                    self._finish(t, "FAILED", reason)
                elif not cancel and t.terminate_reason is None:
                    # STARTING (the attempt thread sees it before it starts the process) or RUNNING.
                    self.plane.stats.job("terminated")
                    t.terminate_reason = reason
                    t.is_terminated = True
                    if t.current is not None and t.current.pid is not None:
                        self.plane.runner.stop(t.current, "terminate")
            if job.is_parent:
                self._check_parent(job)
            self.cond.notify_all()

    def lose_host(self, job):
        """The host of a RUNNING job goes away now. False if it is not RUNNING."""
        with self.lock:
            a = job.current
            if job.status != "RUNNING" or a is None or a.pid is None:
                return False
            self.plane.runner.lose(a)
            return True

    def stop(self):
        """The plane is stopping: no more starts; every process group is killed."""
        with self.lock:
            self.stopping = True
            attempts = list(self.running)
            self.cond.notify_all()
        for a in attempts:
            self.plane.runner.kill_group(a)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            with self.lock:
                if not self.running:
                    return
            time.sleep(0.05)

    # -- from the attempt threads -----------------------------------------------------------

    def abort_if_terminated(self, job, attempt):
        """Before the process starts: a job terminated while STARTING fails without an attempt."""
        with self.lock:
            if job.terminate_reason is None and not self.stopping:
                return False
            self._release(job)
            job.attempts.remove(attempt)
            job.current = None
            self._finish(job, "FAILED", job.terminate_reason or "orbital test plane stopped")
            return True

    def attempt_started(self, job, attempt):
        with self.lock:
            attempt.started_at = now_ms()
            attempt.t0 = time.monotonic()
            job.started_at = attempt.started_at
            job.status = "RUNNING"
            self.running.add(attempt)
            self.plane.stats.enter_running()
            after = self.plane.faults.take_lose()
            if after is not None:
                attempt.lose_at = attempt.t0 + after
            if job.terminate_reason is not None or self.stopping:
                self.plane.runner.stop(attempt, "terminate")
        self.plane.sampler.watch(attempt)

    def attempt_done(self, job, attempt):
        """The attempt's process is gone (or never started) and its fields are set."""
        with self.lock:
            self._release(job)
            job.current = None
            if attempt in self.running:
                self.running.discard(attempt)
                self.plane.stats.leave_running()
            if job.terminate_reason is not None:
                return self._finish(job, "FAILED", job.terminate_reason)
            if not attempt.start_failed and attempt.kill_why is None and attempt.exit_code == 0:
                return self._finish(job, "SUCCEEDED", attempt.status_reason)
            if (attempt.kill_why not in ("timeout", "terminate") and attempt.number < job.attempts_max()
                    and not self.stopping):
                rules = (job.retry_strategy or {}).get("evaluateOnExit") or []
                action, rule = retry.decide(rules, attempt.status_reason, attempt.reason, attempt.exit_code)
                attempt.decision = {"action": action, "rule": rule}
                if action == "RETRY":
                    self.plane.stats.job("retries")
                    job.status = "RUNNABLE"
                    job.due = time.monotonic() + self.cfg.state_delay
                    self.active[job.id] = job
                    self.cond.notify_all()
                    return None
            else:
                attempt.decision = {"action": "EXIT", "rule": None}
            return self._finish(job, "FAILED", attempt.status_reason)

    def oom(self, attempt):
        with self.lock:
            if attempt.kill_why is None and attempt in self.running:
                self.plane.stats.job("oom_kills")
                self.plane.runner.kill(attempt, "oom")

    # -- the scheduler thread ---------------------------------------------------------------

    def run(self):
        with self.lock:
            while not self.stopping:
                try:
                    wake = self._tick()
                except Exception:
                    self.plane.log("plane: ERROR in the scheduler:\n" + traceback.format_exc())
                    wake = 0.5
                self.cond.wait(wake)

    def _tick(self):
        """One pass over the waiting jobs; the seconds until the next step is due (or None)."""
        now = time.monotonic()
        delay = self.cfg.state_delay
        nxt = [None]

        def soon(t):
            if nxt[0] is None or t < nxt[0]:
                nxt[0] = t

        for p in list(self.waiting_parents.values()):
            if p.status != "SUBMITTED":
                del self.waiting_parents[p.id]
            elif now >= p.due:
                p.status = "PENDING"
                del self.waiting_parents[p.id]
            else:
                soon(p.due)
        for job in list(self.active.values()):
            if job.status not in BEFORE_START:
                self.active.pop(job.id, None)
                continue
            if job.parent is not None and job.parent.status == "SUBMITTED":
                continue  # the parent's step wakes us
            if now < job.due:
                soon(job.due)
                continue
            if job.status == "SUBMITTED":
                job.status, job.due = "PENDING", now + delay
                soon(job.due)
            elif job.status == "PENDING":
                deps = [d.status for d in job.depends_on]
                if "FAILED" in deps:
                    self._finish(job, "FAILED", "Dependent Job failed")
                elif all(s == "SUCCEEDED" for s in deps):
                    job.status, job.due = "RUNNABLE", now + delay
                    if not job.held:
                        job.held = True
                        hold = self.plane.faults.take_hold()
                        if hold:
                            job.hold_until = job.due + hold
                    soon(max(job.due, job.hold_until))
            elif job.status == "RUNNABLE":
                if now < job.hold_until:
                    soon(job.hold_until)
                elif job.vcpus <= self.free_vcpus + 1e-9 and (job.memory or 0) <= self.free_memory:
                    self._start(job)
                # else: it waits for a release (which notifies)
        return None if nxt[0] is None else max(0.0, nxt[0] - time.monotonic())

    def _start(self, job):
        self.free_vcpus -= job.vcpus
        self.free_memory -= job.memory or 0
        job.allocated = True
        job.status = "STARTING"
        self.active.pop(job.id, None)
        attempt = Attempt(job, len(job.attempts) + 1, self.cfg)
        job.attempts.append(attempt)
        job.current = attempt
        self.plane.stats.job("attempts")
        threading.Thread(target=self.plane.runner.run_attempt, args=(job, attempt),
                         name="attempt-%s-%d" % (job.id, attempt.number), daemon=True).start()

    def _release(self, job):
        if job.allocated:
            job.allocated = False
            self.free_vcpus += job.vcpus
            self.free_memory += job.memory or 0
            self.cond.notify_all()

    def _finish(self, job, status, reason):
        job.status = status
        job.status_reason = reason
        job.stopped_at = now_ms()
        self.active.pop(job.id, None)
        self.waiting_parents.pop(job.id, None)
        if job.is_parent:
            self.plane.stats.job("arrays_succeeded" if status == "SUCCEEDED" else "arrays_failed")
        else:
            self.plane.stats.job("succeeded" if status == "SUCCEEDED" else "failed")
        if job.parent is not None:
            self._check_parent(job.parent)
        self.cond.notify_all()

    def _check_parent(self, parent):
        if parent.status in FINAL or any(c.status not in FINAL for c in parent.children):
            return
        failed = any(c.status == "FAILED" for c in parent.children)
        starts = [c.started_at for c in parent.children if c.started_at]
        parent.started_at = min(starts) if starts else None
        self._finish(parent, "FAILED" if failed else "SUCCEEDED", parent.terminate_reason)
