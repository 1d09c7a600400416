"""Running one job attempt as a local process, and the memory sampler that plays the container's
memory limit.

An attempt thread spends STARTING (--state-delay), makes a fresh empty directory under the plane's
work/ (the attempt's HOME and working directory, removed afterwards), creates the CloudWatch log
stream, and execs the command directly (argv, no shell; PATH lookup in the job's PATH) in a new
session, so that the process and everything it starts share one process group, with stdin
/dev/null and stdout + stderr into one file that logs.py ships. Then it waits on a pidfd: for the
process to exit, the attempt timeout (SIGTERM to the group; SIGKILL --stop-timeout seconds later),
a TerminateJob (the same), a lost host (SIGKILL now), an OOM kill (SIGKILL, from the sampler).
When the leader has exited (still a zombie, so its pid is still the group's), whatever is left of
the group is SIGKILLed and only then is the leader reaped: no pid reuse race, no zombie of ours.
The plane is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so a job's orphans (what the
leader started and left behind) become its children rather than init's; the sampler reaps them
(never a leader: those are the attempt threads' to reap, with their exit status).

The sampler scans /proc every --sample-interval (~50 ms; slower when the scan itself is slow, so
that hundreds of jobs do not eat a core) and sums RSS per process group; a group over its job's
MEMORY (MiB) is SIGKILLed: exit code 137, reason "OutOfMemoryError: Container killed due to memory
usage". This is RSS, not a cgroup: see the package header for what that cannot prove."""

import ctypes
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from .jobs import EXITED, StartError, now_ms

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
TIMEOUT_REASON = "Job attempt duration exceeded timeout"
START_FAILED = "Task failed to start"
OCI = ("CannotStartContainerError: Error response from daemon: failed to create task for container: failed to "
       "create shim task: OCI runtime create failed: runc create failed: unable to start container process: ")
PAGE = os.sysconf("SC_PAGE_SIZE")


def become_subreaper(log):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(36, 1, 0, 0, 0) != 0:  # PR_SET_CHILD_SUBREAPER
            raise OSError(ctypes.get_errno(), "prctl")
    except (OSError, AttributeError) as e:
        log("plane: cannot become a child subreaper (%s): orphans of jobs go to init" % e)


def safe(job_id):
    return job_id.replace(":", "_")


def command(job):
    """The argv: the override's or the definition's command, Ref::NAME arguments substituted."""
    params = job.spec["parameters"]
    out = []
    for arg in job.command:
        if arg.startswith("Ref::") and arg[5:] in params:
            out.append(params[arg[5:]])
        else:
            out.append(arg)
    return out


def environment(cfg, job, attempt, home):
    env = {"PATH": PATH, "HOME": home, "AWS_REGION": cfg.region, "AWS_DEFAULT_REGION": cfg.region,
           "AWS_ENDPOINT_URL": cfg.public_url}
    if job.job_role_arn:
        env["AWS_ACCESS_KEY_ID"] = cfg.access_key
        env["AWS_SECRET_ACCESS_KEY"] = cfg.secret_key
    for kv in job.environment:
        env[kv["name"]] = kv.get("value", "")
    env["AWS_BATCH_JOB_ID"] = job.id
    env["AWS_BATCH_JOB_ATTEMPT"] = str(attempt.number)
    env["AWS_BATCH_JQ_NAME"] = job.queue_name
    env["AWS_BATCH_CE_NAME"] = job.ce_name
    if job.index is not None:
        env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(job.index)
    return env


def kill_leftovers(work_root, log):
    """SIGKILL processes whose working directory is under work_root (a plane that died hard)."""
    root = os.path.realpath(work_root) + os.sep
    n = 0
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % name)
        except OSError:
            continue
        if (cwd + os.sep).startswith(root):
            try:
                os.kill(int(name), signal.SIGKILL)
                n += 1
            except OSError:
                pass
    if n:
        log("plane: killed %d job processes left behind in %s" % (n, work_root))


class Runner:
    def __init__(self, plane):
        self.plane = plane
        self.cfg = plane.cfg
        self.spawn_lock = threading.Lock()  # held across Popen and adding to leaders
        self.leaders = set()  # pids of the attempts' processes, not yet reaped

    def reap_orphans(self, zombies):
        """Reap zombie children of the plane that are not an attempt's leader."""
        with self.spawn_lock:
            for pid in zombies:
                if pid not in self.leaders:
                    try:
                        os.waitpid(pid, os.WNOHANG)
                    except ChildProcessError:
                        pass

    # -- signals (callers hold the scheduler's lock, or need not) ----------------------------

    @staticmethod
    def signal_group(attempt, sig):
        if attempt.pid is None:
            return
        try:
            os.killpg(attempt.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, attempt, why):
        """SIGTERM now, SIGKILL after --stop-timeout (the attempt thread does that)."""
        if attempt.kill_why is None:
            attempt.kill_why = why
        if attempt.term_at is None:
            attempt.term_at = time.monotonic()
            self.signal_group(attempt, signal.SIGTERM)

    def kill(self, attempt, why):
        if attempt.kill_why is None:
            attempt.kill_why = why
        attempt.killed = True
        self.signal_group(attempt, signal.SIGKILL)

    def lose(self, attempt):
        if attempt.kill_why is None or attempt.kill_why == "terminate":
            attempt.kill_why = "lost"
            self.plane.stats.job("lost_hosts")
        attempt.killed = True
        self.signal_group(attempt, signal.SIGKILL)

    def kill_group(self, attempt):
        attempt.killed = True
        self.signal_group(attempt, signal.SIGKILL)

    # -- the attempt thread ------------------------------------------------------------------

    def run_attempt(self, job, attempt):
        plane = self.plane
        sched = plane.scheduler
        try:
            time.sleep(self.cfg.state_delay)  # STARTING
            if sched.abort_if_terminated(job, attempt):
                return
            attempt.dir = tempfile.mkdtemp(prefix="%s-%d-" % (safe(job.id), attempt.number), dir=plane.work_dir)
            attempt.log_path = os.path.join(plane.logs_dir, "%s-%d.log" % (safe(job.id), attempt.number))
            try:
                self._spawn(job, attempt)
            except StartError as e:
                attempt.start_failed = True
                attempt.reason = str(e)
                attempt.status_reason = START_FAILED
                attempt.stopped_at = now_ms()
                plane.logs.close(attempt)
                shutil.rmtree(attempt.dir, ignore_errors=True)
                sched.attempt_done(job, attempt)
                return
            sched.attempt_started(job, attempt)
            rc = self._wait(attempt)
            plane.sampler.unwatch(attempt)
            attempt.stopped_at = now_ms()
            self._outcome(job, attempt, rc)
            plane.logs.close(attempt)
            shutil.rmtree(attempt.dir, ignore_errors=True)
            sched.attempt_done(job, attempt)
        except Exception as e:  # never leave a job STARTING / RUNNING for ever
            import traceback

            plane.log("plane: ERROR in attempt %d of %s: %s\n%s" % (attempt.number, job.id, e, traceback.format_exc()))
            if attempt.pid is not None:
                self.kill_group(attempt)
                try:
                    attempt.proc.wait(5)
                except Exception:
                    pass
            plane.sampler.unwatch(attempt)
            attempt.start_failed = attempt.pid is None
            attempt.reason = attempt.reason or "orbital test plane error: %s: %s" % (type(e).__name__, e)
            attempt.status_reason = attempt.status_reason or START_FAILED
            attempt.stopped_at = attempt.stopped_at or now_ms()
            if attempt.dir:
                shutil.rmtree(attempt.dir, ignore_errors=True)
            sched.attempt_done(job, attempt)

    def _spawn(self, job, attempt):
        argv = command(job)
        if not argv:
            raise StartError("CannotStartContainerError: orbital test plane: no command (neither the job "
                             "definition nor the override gives one, and the image's cannot run here)")
        self.plane.logs.open(job, attempt)  # StartError when the log group is missing
        env = environment(self.cfg, job, attempt, attempt.dir)
        try:
            with open(attempt.log_path, "wb") as out, self.spawn_lock:
                attempt.proc = subprocess.Popen(
                    argv, cwd=attempt.dir, env=env, stdin=subprocess.DEVNULL, stdout=out,
                    stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
                self.leaders.add(attempt.proc.pid)
        except FileNotFoundError:
            raise StartError(OCI + 'exec: "%s": executable file not found in $PATH: unknown' % argv[0])
        except PermissionError:
            raise StartError(OCI + 'exec: "%s": permission denied: unknown' % argv[0])
        except OSError as e:
            raise StartError(OCI + 'exec: "%s": %s: unknown' % (argv[0], e.strerror or e))
        attempt.pid = attempt.proc.pid

    @staticmethod
    def _exited(pid):
        """The leader has exited (it is a zombie, not reaped yet)."""
        try:
            return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def _wait(self, attempt):
        """Wait for the process, enforcing the timeout, stop and host loss; the return code."""
        sched = self.plane.scheduler
        stop_timeout = self.cfg.stop_timeout
        timeout = attempt.job.timeout
        deadline = attempt.t0 + timeout if timeout else None
        fd = None
        try:
            fd = os.pidfd_open(attempt.pid)
        except (AttributeError, OSError):
            pass
        poller = None
        if fd is not None:
            poller = select.poll()
            poller.register(fd, select.POLLIN)
        try:
            while not self._exited(attempt.pid):
                now = time.monotonic()
                with sched.lock:
                    if attempt.kill_why is None and deadline is not None and now >= deadline:
                        self.plane.stats.job("timeouts")
                        self.stop(attempt, "timeout")
                    if attempt.lose_at is not None and now >= attempt.lose_at:
                        attempt.lose_at = None
                        if attempt.kill_why != "lost":
                            self.lose(attempt)
                    if attempt.term_at is not None and not attempt.killed and now >= attempt.term_at + stop_timeout:
                        self.kill_group(attempt)
                    times = [t for t in (deadline if attempt.kill_why is None else None, attempt.lose_at,
                                         attempt.term_at + stop_timeout if attempt.term_at and not attempt.killed else None)
                             if t is not None and t > now]
                wait = min([0.5] + [t - now for t in times])
                if poller is not None:
                    poller.poll(max(1, int(wait * 1000)))
                else:
                    time.sleep(min(wait, 0.05))
        finally:
            if fd is not None:
                os.close(fd)
        self.kill_group(attempt)  # what is left of the group (the zombie leader still holds its id)
        rc = attempt.proc.wait()
        with self.spawn_lock:
            self.leaders.discard(attempt.pid)
        return rc

    def _outcome(self, job, attempt, rc):
        code = rc if rc >= 0 else 128 - rc
        why = attempt.kill_why
        if why == "lost":
            attempt.status_reason = "Host EC2 (instance %s) terminated." % attempt.instance
        elif why == "oom":
            attempt.exit_code = 137
            attempt.reason = OOM_REASON
            attempt.status_reason = EXITED
        elif why == "timeout":
            attempt.exit_code = code
            attempt.status_reason = TIMEOUT_REASON
        elif why == "terminate":
            attempt.exit_code = code
            attempt.status_reason = job.terminate_reason or EXITED
        else:
            attempt.exit_code = code
            attempt.status_reason = EXITED


class MemorySampler(threading.Thread):
    def __init__(self, plane):
        super().__init__(name="memory-sampler", daemon=True)
        self.plane = plane
        self.interval = plane.cfg.sample_interval
        self.lock = threading.Lock()
        self.watched = {}  # process group id -> attempt
        self.wake = threading.Event()
        self.stopping = False

    def watch(self, attempt):
        with self.lock:
            self.watched[attempt.pid] = attempt
        self.wake.set()

    def unwatch(self, attempt):
        with self.lock:
            if self.watched.get(attempt.pid) is attempt:
                del self.watched[attempt.pid]

    @staticmethod
    def scan(groups):
        """({process group id: total RSS in bytes} for the given groups, [zombie children of ours])."""
        totals = {}
        zombies = []
        me = os.getpid()
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name, "rb") as f:
                    stat = f.read()
            except OSError:
                continue
            rest = stat[stat.rfind(b")") + 2:].split()
            try:
                if rest[0] == b"Z":
                    if int(rest[1]) == me:
                        zombies.append(int(name))
                    continue
                pgrp = int(rest[2])
                if pgrp in groups:
                    totals[pgrp] = totals.get(pgrp, 0) + int(rest[21]) * PAGE
            except (IndexError, ValueError):
                continue
        return totals, zombies

    def run(self):
        while not self.stopping:
            with self.lock:
                watched = dict(self.watched)
            t0 = time.monotonic()
            totals, zombies = self.scan(set(watched))
            if zombies:
                self.plane.runner.reap_orphans(zombies)
            if not watched:
                self.wake.wait(0.5)
                self.wake.clear()
                continue
            for pgid, rss in totals.items():
                a = watched[pgid]
                a.peak_rss = max(a.peak_rss, rss)
                limit = a.job.memory
                if limit and rss > limit * 1048576:
                    self.plane.log("plane: %s attempt %d: RSS %.1f MiB > %d MiB: killed (OutOfMemoryError)" % (
                        a.job.id, a.number, rss / 1048576.0, limit))
                    self.plane.scheduler.oom(a)
            spent = time.monotonic() - t0
            time.sleep(max(self.interval - spent, 2 * spent, 0.005))
