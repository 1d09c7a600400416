#!/usr/bin/env python3
"""One AWS endpoint for orbital's Lambda executor tests: moto for S3, IAM and the Lambda control
plane, cargo-lambda's emulator for running the functions. Started by harness/aws (read its header
for the whole picture); stdlib only, apart from botocore's service model for Lambda operation
names (botocore is in the harness venv).

    lambda_glue.py --port 4566 --moto 127.0.0.1:5000 --emulator 127.0.0.1:9000 \
        --state /tmp/orb-aws --slots 64

What it does with a request:

* Lambda Invoke (POST /2015-03-31/functions/{name}/invocations): GetFunction from moto (cached
  until a Lambda write goes through the glue, at most 30 s), the function's zip from the glue's
  own code store (filled when CreateFunction / UpdateFunctionCode go through the glue: moto keeps
  the code but cannot hand it out), unpacked per CodeSha256; then an idle `bootstrap` process of
  that function, code and configuration, or a new one. Each process has a slot of its own: a
  `[[bin]]` name (slot0..slotN-1) of the dummy manifest the emulator was started with, and its
  runtime API is http://GLUE/.rt/slotK (the glue passes the runtime calls on to the emulator,
  fixing the invocation's deadline and function ARN, which the emulator fakes, and tells when
  the runtime took the invocation; with TCP_NODELAY on all its sockets this path also has none
  of the ~40 ms Nagle/delayed-ACK stalls that runtimes polling the emulator directly see in
  about one invoke in ten). The invoke goes to the emulator as an invoke of slotK; its answer
  comes back as AWS gives it (a handler error, which the emulator answers with HTTP 500,
  becomes HTTP 200 with X-Amz-Function-Error: Unhandled). One process serves one invocation at a time, as in Lambda: N concurrent invokes
  of one function run in N processes.
  The glue also plays the Lambda service's part: the function's Timeout (Sandbox.Timedout, the
  process is killed), a process that exits (Runtime.ExitError), a bootstrap missing or not
  executable (Runtime.InvalidEntrypoint), the 6 MB request and response limits, reserved
  environment variable names and the 4 KB environment limit on create/update.
* /_glue/...: health, stats, reset-stats, throttle and other injected faults, state, kill.
* Anything else: passed to moto unchanged (method, path, query, headers, body); the answer is
  relayed unchanged.
"""

import argparse
import base64
import collections
import datetime
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
import zipfile

REQUEST_LIMIT = 6291456  # bytes, synchronous Invoke request (AWS)
RESPONSE_LIMIT = 6291556  # bytes, synchronous Invoke response (AWS's message says this number)
ENV_LIMIT = 4096  # bytes, all environment variables of a function (AWS)
CODE_REQUEST_LIMIT = 70167211  # bytes, a CreateFunction / UpdateFunctionCode request (AWS: 50 MB zip, base64)
UNZIPPED_LIMIT = 262144000  # bytes, a function's code unzipped (AWS)
INIT_ALLOWANCE = 10.0  # seconds: Lambda's init phase has its own 10 s limit
RESERVED_ENV = {
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
}
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
    "upgrade", "expect",
}
INVOKE_RE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations/?$")
RUNTIME_RE = re.compile(r"^/\.rt/(slot\d+)(/.*)$")
CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")

CFG = None  # argparse namespace, set in main()
LOG_LOCK = threading.Lock()


def log(msg):
    with LOG_LOCK:
        sys.stderr.write("%s %s\n" % (datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3], msg))
        sys.stderr.flush()


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------------
# Which service and operation a request is (for the stats)

class Classifier:
    def __init__(self):
        self.lambda_ops = []  # (method, regex, literal length, name)
        try:
            import botocore.session

            model = botocore.session.get_session().get_service_model("lambda")
            for name in model.operation_names:
                http_ = model.operation_model(name).http
                uri = http_["requestUri"].split("?")[0].rstrip("/") or "/"
                literal = len(re.sub(r"\{[^}]*\}", "", uri))
                pattern = re.sub(
                    r"\{([^}]*)\}",
                    lambda m: "(.+)" if m.group(1).endswith("+") else "([^/]+)",
                    re.escape(uri).replace(r"\{", "{").replace(r"\}", "}"),
                )
                self.lambda_ops.append((http_["method"], re.compile("^" + pattern + "$"), literal, name))
            self.lambda_ops.sort(key=lambda op: -op[2])
        except Exception as e:  # the stats then say METHOD /path
            log("glue: no botocore Lambda model (%s); Lambda operations are named by path" % e)

    @staticmethod
    def service_of(path, query, headers, body):
        auth = headers.get("Authorization", "")
        m = CREDENTIAL_RE.search(auth)
        if not m:
            cred = query.get("X-Amz-Credential", [""])[0]
            m = CREDENTIAL_RE.search("Credential=" + cred) if cred else None
        if m:
            return m.group(4), m.group(3)
        if re.match(r"^/20\d\d-\d\d-\d\d/", path):
            return "lambda", None
        if "Action=" in (urllib.parse.urlsplit(path).query or "") or (
            body[:7] == b"Action="
        ):
            return "query", None
        return "s3", None

    def lambda_op(self, method, path):
        p = path.rstrip("/") or "/"
        for m, rx, _, name in self.lambda_ops:
            if m == method:
                mm = rx.match(p)
                if mm:
                    return name, (urllib.parse.unquote(mm.group(1)) if mm.groups() else None)
        return "%s %s" % (method, re.sub(r"/functions/[^/]+", "/functions/{name}", p)), None

    @staticmethod
    def query_action(query, body):
        if "Action" in query:
            return query["Action"][0]
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            return form.get("Action", ["?"])[0]
        except Exception:
            return "?"

    @staticmethod
    def s3_op(method, path, query, headers):
        parts = path.lstrip("/").split("/", 1)
        bucket = urllib.parse.unquote(parts[0]) if parts[0] else None
        key = parts[1] if len(parts) > 1 and parts[1] else None
        q = set(query)
        if bucket is None:
            return ("ListBuckets" if method == "GET" else method + " /"), None
        if key is None:
            if method == "PUT":
                sub = [s for s in ("policy", "versioning", "tagging", "acl", "cors", "lifecycle",
                                   "encryption", "notification", "website") if s in q]
                return ("PutBucket" + sub[0].capitalize() if sub else "CreateBucket"), bucket
            if method == "DELETE":
                return ("DeleteBucket" if not q else "DeleteBucketSub"), bucket
            if method == "HEAD":
                return "HeadBucket", bucket
            if method == "POST" and "delete" in q:
                return "DeleteObjects", bucket
            if method == "GET":
                if "uploads" in q:
                    return "ListMultipartUploads", bucket
                if "versions" in q:
                    return "ListObjectVersions", bucket
                if "location" in q:
                    return "GetBucketLocation", bucket
                if query.get("list-type", [""])[0] == "2":
                    return "ListObjectsV2", bucket
                sub = [s for s in ("policy", "versioning", "tagging", "acl", "cors", "lifecycle",
                                   "encryption") if s in q]
                return ("GetBucket" + sub[0].capitalize() if sub else "ListObjects"), bucket
            return method + " bucket", bucket
        if method == "PUT":
            if "partNumber" in q and "uploadId" in q:
                return ("UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart"), bucket
            if "tagging" in q:
                return "PutObjectTagging", bucket
            if "acl" in q:
                return "PutObjectAcl", bucket
            return ("CopyObject" if "x-amz-copy-source" in headers else "PutObject"), bucket
        if method == "GET":
            if "uploadId" in q:
                return "ListParts", bucket
            if "tagging" in q:
                return "GetObjectTagging", bucket
            return "GetObject", bucket
        if method == "HEAD":
            return "HeadObject", bucket
        if method == "DELETE":
            return ("AbortMultipartUpload" if "uploadId" in q else "DeleteObject"), bucket
        if method == "POST":
            if "uploads" in q:
                return "CreateMultipartUpload", bucket
            if "uploadId" in q:
                return "CompleteMultipartUpload", bucket
            if "restore" in q:
                return "RestoreObject", bucket
        return method + " object", bucket


def function_name_of(ident):
    """The function name in a FunctionName parameter (a name, a partial or full ARN, maybe with
    a qualifier), and the qualifier it carries, if any."""
    parts = ident.split(":")
    if ident.startswith("arn:"):
        # arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        return (parts[6] if len(parts) > 6 else ident), (parts[7] if len(parts) > 7 else None)
    if len(parts) >= 3 and parts[1] == "function":
        # ACCOUNT:function:NAME[:QUALIFIER]
        return parts[2], (parts[3] if len(parts) > 3 else None)
    if len(parts) == 2:
        return parts[0], parts[1]
    return ident, None


# --------------------------------------------------------------------------------------------
# Stats and injected faults

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.since = now_iso()
            self.requests = collections.defaultdict(collections.Counter)
            self.functions = {}
            self.buckets = collections.defaultdict(collections.Counter)
            self.invoke = collections.Counter()
            self.processes = collections.Counter()
            self.in_flight_total = 0
            self.max_in_flight_total = 0

    def _fn(self, name):
        f = self.functions.get(name)
        if f is None:
            f = self.functions[name] = {
                "requests": collections.Counter(),
                "invoke": collections.Counter(),
                "in_flight": 0,
                "max_concurrency": 0,
            }
        return f

    def request(self, service, op, function=None, bucket=None):
        with self.lock:
            self.requests[service][op] += 1
            if function:
                self._fn(function)["requests"][op] += 1
            if bucket:
                self.buckets[bucket][op] += 1

    def outcome(self, function, what):
        with self.lock:
            self.invoke[what] += 1
            if function:
                self._fn(function)["invoke"][what] += 1

    def process(self, what, n=1):
        with self.lock:
            self.processes[what] += n

    def enter(self, function):
        with self.lock:
            f = self._fn(function)
            f["in_flight"] += 1
            f["max_concurrency"] = max(f["max_concurrency"], f["in_flight"])
            self.in_flight_total += 1
            self.max_in_flight_total = max(self.max_in_flight_total, self.in_flight_total)

    def leave(self, function):
        with self.lock:
            f = self._fn(function)
            f["in_flight"] -= 1
            self.in_flight_total -= 1

    def snapshot(self, runtime):
        with self.lock:
            return {
                "since": self.since,
                "requests": {s: dict(c) for s, c in self.requests.items()},
                "functions": {
                    n: {
                        "requests": dict(f["requests"]),
                        "invoke": dict(f["invoke"]),
                        "in_flight": f["in_flight"],
                        "max_concurrency": f["max_concurrency"],
                    }
                    for n, f in self.functions.items()
                },
                "buckets": {b: dict(c) for b, c in self.buckets.items()},
                "invoke": dict(self.invoke),
                "in_flight": self.in_flight_total,
                "max_concurrency": self.max_in_flight_total,
                "processes": dict(self.processes, running=runtime.running_count()),
            }


class Faults:
    """Injected answers for the next N invokes of a function ('*': of any function)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending = collections.defaultdict(collections.deque)

    def add(self, function, count, fault):
        with self.lock:
            for _ in range(count):
                self.pending[function or "*"].append(fault)

    def take(self, function):
        with self.lock:
            for key in (function, "*"):
                q = self.pending.get(key)
                if q:
                    f = q.popleft()
                    if not q:
                        del self.pending[key]
                    return f
        return None

    def clear(self):
        with self.lock:
            n = sum(len(q) for q in self.pending.values())
            self.pending.clear()
            return n

    def snapshot(self):
        with self.lock:
            return {k: len(v) for k, v in self.pending.items()}


# --------------------------------------------------------------------------------------------
# Code store: zips seen on CreateFunction / UpdateFunctionCode, by sha256

class CodeStore:
    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)
        self.lock = threading.Lock()
        self.unpack_locks = collections.defaultdict(threading.Lock)

    @staticmethod
    def hex_of_code_sha(code_sha256_b64):
        try:
            return base64.b64decode(code_sha256_b64).hex()
        except Exception:
            return None

    def put(self, data):
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.root, digest + ".zip")
        if not os.path.exists(path):
            tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return digest

    def has(self, digest):
        return os.path.exists(os.path.join(self.root, digest + ".zip"))

    def unpacked(self, digest):
        """The directory the zip is unpacked in (unpacking it once), or raises KeyError."""
        d = os.path.join(self.root, digest)
        if os.path.isdir(d):
            return d
        zpath = os.path.join(self.root, digest + ".zip")
        if not os.path.exists(zpath):
            raise KeyError(digest)
        with self.unpack_locks[digest]:
            if os.path.isdir(d):
                return d
            tmp = d + ".unpacking"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            with zipfile.ZipFile(zpath) as z:
                for info in z.infolist():
                    name = info.filename
                    if name.startswith("/") or ".." in name.split("/"):
                        continue
                    target = os.path.join(tmp, name)
                    mode = (info.external_attr >> 16) & 0o7777
                    if info.is_dir():
                        os.makedirs(target, exist_ok=True)
                        continue
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    with z.open(info) as src, open(target, "wb") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
                    # As Lambda does: the zip's Unix permissions, 0644 when it has none.
                    if info.create_system != 3 or not mode:
                        mode = 0o644
                    os.chmod(target, mode & 0o777)
            os.replace(tmp, d)
            return d


# --------------------------------------------------------------------------------------------
# Function processes

class Invocation:
    def __init__(self, request_id, deadline_ms, arn):
        self.request_id = request_id  # the emulator's, once the runtime took it
        self.deadline_ms = deadline_ms
        self.arn = arn
        self.conn = None  # the glue's connection to the emulator for this invoke
        self.exit_status = None  # set when the process died during the invocation
        self.picked_up = threading.Event()
        self.picked_at = None  # time.monotonic() when the runtime took it (runtime API via the glue)
        self.done = threading.Event()
        self.wake = threading.Event()  # for the watchdog: taken, done, or the process died
        self.timed_out = False
        self.posted = False  # the invoke was (maybe) sent to the emulator


class Proc:
    def __init__(self, slot, pool):
        self.slot = slot
        self.pool = pool
        self.popen = None
        self.state = "starting"  # starting (busy with its first invoke), busy, idle, dead
        self.current = None  # Invocation
        self.last_used = time.monotonic()
        self.log_path = None
        self.invocations = 0
        self.poll_conn = None  # the glue's pending /next poll to the emulator for this process
        self.busy = False  # between acquire() and the end of release(): the slot is the invoke's


class Pool:
    """The processes of one function with one code and configuration."""

    def __init__(self, key, spec):
        self.key = key
        self.spec = spec
        self.procs = set()
        self.retired = False


def shutdown_conn(conn):
    sock = getattr(conn, "sock", None) if conn is not None else None
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def exit_text(code):
    if code is None:
        return "unknown"
    if code < 0:
        try:
            return "signal: " + {9: "killed", 15: "terminated", 6: "aborted", 11: "segmentation fault"}.get(
                -code, signal.Signals(-code).name)
        except ValueError:
            return "signal %d" % -code
    return "exit status %d" % code


class Runtime:
    def __init__(self, cfg, stats):
        self.cfg = cfg
        self.stats = stats
        self.lock = threading.Lock()
        self.free = collections.deque("slot%d" % i for i in range(cfg.slots))
        self.by_slot = {}
        self.pools = {}
        self.log_dir = os.path.join(cfg.state, "logs")
        self.pid_dir = os.path.join(cfg.state, "procs")
        os.makedirs(self.log_dir, exist_ok=True)
        os.makedirs(self.pid_dir, exist_ok=True)
        threading.Thread(target=self._reaper, daemon=True, name="reaper").start()

    def running_count(self):
        with self.lock:
            return sum(1 for p in self.by_slot.values() if p.state != "dead")

    def snapshot(self):
        with self.lock:
            pools = []
            for pool in self.pools.values():
                pools.append({
                    "function": pool.spec["name"],
                    "code_sha256": pool.spec["code_sha256"],
                    "retired": pool.retired,
                    "processes": [
                        {"slot": p.slot, "pid": p.popen.pid if p.popen else None, "state": p.state,
                         "invocations": p.invocations, "log": p.log_path}
                        for p in sorted(pool.procs, key=lambda p: p.slot)
                    ],
                })
            return {"free_slots": len(self.free), "slots": self.cfg.slots, "pools": pools}

    def _env(self, spec, slot, log_stream):
        cfg = self.cfg
        if cfg.runtime_via_glue:
            rt = "http://127.0.0.1:%d/.rt/%s" % (cfg.port, slot)
        else:
            rt = "http://%s/.rt/%s" % (cfg.emulator, slot)
        env = {
            "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LD_LIBRARY_PATH": "/lib64:/usr/lib64:/opt/lib",
            "LAMBDA_TASK_ROOT": spec["code_dir"],
            "LAMBDA_RUNTIME_DIR": spec["code_dir"],
            "_HANDLER": spec.get("handler") or "",
            "AWS_LAMBDA_RUNTIME_API": rt,
            "AWS_LAMBDA_FUNCTION_NAME": spec["name"],
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec["memory"]),
            "AWS_LAMBDA_FUNCTION_VERSION": spec["version"],
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/" + spec["name"],
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_REGION": spec["region"],
            "AWS_DEFAULT_REGION": spec["region"],
            "AWS_ACCESS_KEY_ID": cfg.access_key,
            "AWS_SECRET_ACCESS_KEY": cfg.secret_key,
            "AWS_SESSION_TOKEN": "orbital-test-session-token",
            # Not in real Lambda: sends the function's own SDK calls (S3 for large payloads)
            # back to this glue, hence to moto.
            "AWS_ENDPOINT_URL": "http://127.0.0.1:%d" % cfg.port,
        }
        env.update(spec["env"])
        return env

    def acquire(self, spec, inv):
        """An idle process for this function, code and configuration (busy with `inv` from now
        on), or a new one; (proc, cold). Raises LookupError when every slot is busy."""
        key = spec["pool_key"]
        to_kill = []
        evicted = None
        with self.lock:
            pool = self.pools.get(key)
            if pool is None:
                pool = self.pools[key] = Pool(key, spec)
            pool.retired = False  # (again) the function's current code and configuration
            # An update retires the function's other pools: their idle processes go now, their
            # busy ones when their invocation ends.
            for other in list(self.pools.values()):
                if (other is not pool and not other.retired and other.spec["arn"] == spec["arn"]
                        and other.spec["version"] == spec["version"]):
                    other.retired = True
                    for p in list(other.procs):
                        if p.state == "idle":
                            to_kill.append(p)
                    log("glue: %s changed (code or configuration); retiring its old processes" % spec["name"])
            idle = [p for p in pool.procs if p.state == "idle"]
            proc = None
            cold = False
            if idle:
                proc = max(idle, key=lambda p: p.last_used)  # the warmest one
                proc.state = "busy"
            else:
                slot = self.free.popleft() if self.free else None
                if slot is None:
                    # Take the slot of the least recently used idle process of another pool.
                    victims = [p for p in self.by_slot.values() if p.state == "idle" and p.pool is not pool]
                    if victims:
                        v = min(victims, key=lambda p: p.last_used)
                        v.state = "dead"
                        slot = v.slot
                        evicted = v
                if slot is not None:
                    proc = Proc(slot, pool)
                    pool.procs.add(proc)
                    self.by_slot[slot] = proc
                    cold = True
            if proc is not None:
                proc.busy = True
                proc.current = inv
                proc.invocations += 1
        for p in to_kill:
            self._kill(p, "retired")
        if evicted is not None:
            # Its slot is reused at once (no other is free): let the emulator see its poll go.
            self._kill(evicted, "evicted")
            try:
                evicted.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            shutdown_conn(evicted.poll_conn)
            time.sleep(0.05)
        if proc is None:
            raise LookupError("all %d slots are busy" % self.cfg.slots)
        if cold:
            try:
                self._start(proc, spec)
            except OSError:
                with self.lock:
                    proc.state = "dead"
                    proc.busy = False
                    proc.current = None
                    pool.procs.discard(proc)
                    if self.by_slot.get(proc.slot) is proc:
                        del self.by_slot[proc.slot]
                        self.free.append(proc.slot)
                raise
        return proc, cold

    def _start(self, proc, spec):
        stream = "%s/[%s]%s" % (time.strftime("%Y/%m/%d"), spec["version"], uuid.uuid4().hex)
        fdir = os.path.join(self.log_dir, re.sub(r"[^A-Za-z0-9_.-]", "_", spec["name"]))
        os.makedirs(fdir, exist_ok=True)
        proc.log_path = os.path.join(fdir, "%s-%s.log" % (time.strftime("%Y%m%dT%H%M%S"), proc.slot))
        logf = open(proc.log_path, "ab")
        try:
            proc.popen = subprocess.Popen(
                [os.path.join(spec["code_dir"], "bootstrap")],
                cwd=spec["code_dir"],
                env=self._env(spec, proc.slot, stream),
                stdin=subprocess.DEVNULL,
                stdout=logf,
                stderr=subprocess.STDOUT,
                close_fds=True,
                start_new_session=True,
            )
        finally:
            logf.close()
        with open(os.path.join(self.pid_dir, proc.slot + ".pid"), "w") as f:
            f.write("%d\n" % proc.popen.pid)
        self.stats.process("started")
        log("glue: started %s (pid %d) for %s in %s (log %s)" % (
            proc.slot, proc.popen.pid, spec["name"], spec["code_sha256"], proc.log_path))
        threading.Thread(target=self._watch, args=(proc,), daemon=True, name="watch-" + proc.slot).start()

    def _watch(self, proc):
        code = proc.popen.wait()
        with self.lock:
            was = proc.state
            proc.state = "dead"
            proc.pool.procs.discard(proc)
            inv = proc.current
            # An idle process's slot is free again now; a busy one's when its invoke is done
            # with it (release()).
            if not proc.busy and self.by_slot.get(proc.slot) is proc:
                del self.by_slot[proc.slot]
                # Reused last (a dead runtime's poll may linger in the emulator for a moment).
                self.free.append(proc.slot)
        # Its pending poll must not stay in the emulator (it would take the slot's next
        # invocation), nor its invoke wait for an answer that won't come.
        shutdown_conn(proc.poll_conn)
        if inv is not None:
            inv.exit_status = code
            inv.wake.set()
            shutdown_conn(inv.conn)
        try:
            os.unlink(os.path.join(self.pid_dir, proc.slot + ".pid"))
        except OSError:
            pass
        self.stats.process("exited")
        if was != "dead":
            log("glue: %s (pid %d, %s) exited: %s" % (proc.slot, proc.popen.pid, proc.pool.spec["name"], exit_text(code)))

    def _drain(self, slot):
        """Fail the invocations still queued for a slot whose process died before taking them
        (the next process of the slot would run them). A slot has at most one."""
        for _ in range(1):
            try:
                status, _, headers, _ = Upstream.request(
                    self.cfg.emulator, "GET", "/.rt/%s/2018-06-01/runtime/invocation/next" % slot, [], b"", timeout=0.3)
            except (socket.timeout, OSError):
                log("glue: nothing left queued for %s" % slot)
                return
            rid = dict((k.lower(), v) for k, v in headers).get("lambda-runtime-aws-request-id")
            if status != 200 or not rid:
                return
            log("glue: failing invocation %s, left queued for the dead runtime of %s" % (rid, slot))
            try:
                Upstream.request(self.cfg.emulator, "POST", "/.rt/%s/2018-06-01/runtime/invocation/%s/error" % (slot, rid),
                                 [("Content-Type", "application/json")],
                                 json.dumps({"errorType": "Runtime.ExitError",
                                             "errorMessage": "the runtime exited before taking the invocation"}).encode(),
                                 timeout=5)
            except OSError:
                return

    def _kill(self, proc, why):
        if proc.popen is None:
            return
        try:
            os.killpg(proc.popen.pid, signal.SIGKILL)
        except OSError:
            pass
        self.stats.process(why)

    def release(self, proc, inv, kill=False):
        """The invoke is done with the process: idle again, or (killed, dead, retired) gone and
        its slot free, once nothing of the invocation can be left queued in the emulator."""
        with self.lock:
            proc.current = None
            proc.last_used = time.monotonic()
            if proc.state != "dead" and not kill and not proc.pool.retired:
                proc.state = "idle"
                proc.busy = False
                return
            alive = proc.state != "dead"
            proc.state = "dead"
        if alive:
            self._kill(proc, "killed" if kill else "retired")
        if proc.popen is not None:
            try:
                proc.popen.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        shutdown_conn(proc.poll_conn)
        # The invocation may still sit in the slot's queue if no runtime took it (through the
        # glue we know; polling the emulator directly we do not).
        if inv is not None and inv.posted and not (self.cfg.runtime_via_glue and inv.picked_up.is_set()):
            self._drain(proc.slot)
        with self.lock:
            proc.busy = False
            if self.by_slot.get(proc.slot) is proc:
                del self.by_slot[proc.slot]
                self.free.append(proc.slot)

    def kill_function(self, name):
        with self.lock:
            procs = [p for p in self.by_slot.values() if name in ("*", p.pool.spec["name"])]
            for pool in self.pools.values():
                if name in ("*", pool.spec["name"]):
                    pool.retired = True
        for p in procs:
            self._kill(p, "killed")
        return len(procs)

    def stop_all(self):
        with self.lock:
            procs = list(self.by_slot.values())
        for p in procs:
            self._kill(p, "killed")

    def _reaper(self):
        while True:
            time.sleep(5)
            cutoff = time.monotonic() - self.cfg.idle_secs
            victims = []
            with self.lock:
                for p in self.by_slot.values():
                    if p.state == "idle" and p.last_used < cutoff:
                        p.state = "dead"
                        victims.append(p)
                for key in [k for k, pool in self.pools.items() if not pool.procs]:
                    del self.pools[key]
            for p in victims:
                self._kill(p, "reaped")


# --------------------------------------------------------------------------------------------
# HTTP

class Upstream:
    """A small HTTP client for moto and the emulator (raw bytes in and out)."""

    @staticmethod
    def request(hostport, method, path, headers, body, timeout=600, holder=None, attr="conn"):
        host, port = hostport.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        if holder is not None:
            setattr(holder, attr, conn)
        try:
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            has_host = False
            for k, v in headers:
                lk = k.lower()
                if lk in HOP_BY_HOP or lk == "content-length":
                    continue
                if lk == "host":
                    has_host = True
                conn.putheader(k, v)
            if not has_host:
                conn.putheader("Host", hostport)
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, resp.reason, resp.getheaders(), data
        finally:
            conn.close()


class Glue:
    def __init__(self, cfg):
        self.cfg = cfg
        self.stats = Stats()
        self.faults = Faults()
        self.classifier = Classifier()
        self.code = CodeStore(os.path.join(cfg.state, "code"))
        self.runtime = Runtime(cfg, self.stats)
        self.spec_cache = {}
        self.spec_lock = threading.Lock()
        self.spec_generation = 0

    # -- function specs ---------------------------------------------------------------------

    def invalidate_specs(self):
        with self.spec_lock:
            self.spec_cache.clear()
            self.spec_generation += 1

    def function_spec(self, ident, qualifier, region, auth_headers):
        """(spec, None) or (None, (status, headers, body)) for moto's error."""
        key = (region, ident, qualifier)
        with self.spec_lock:
            hit = self.spec_cache.get(key)
            gen = self.spec_generation
        if hit and hit[0] > time.monotonic():
            return hit[1], None
        path = "/2015-03-31/functions/%s" % urllib.parse.quote(ident, safe="")
        if qualifier:
            path += "?Qualifier=" + urllib.parse.quote(qualifier, safe="")
        status, _, headers, body = Upstream.request(self.cfg.moto, "GET", path, auth_headers, b"", timeout=60)
        if status != 200:
            return None, (status, headers, body)
        doc = json.loads(body)
        conf = doc["Configuration"]
        env = (conf.get("Environment") or {}).get("Variables") or {}
        name = conf["FunctionName"]
        arn = conf["FunctionArn"]
        version = conf.get("Version") or "$LATEST"
        spec = {
            "name": name,
            "arn": arn.split(":function:")[0] + ":function:" + name,
            "invoked_arn": arn if not qualifier else arn.split(":function:")[0] + ":function:" + name + ":" + qualifier,
            "version": version,
            "region": region,
            "code_sha256": conf.get("CodeSha256") or "",
            "memory": conf.get("MemorySize") or 128,
            "timeout": float(conf.get("Timeout") or 3),
            "handler": conf.get("Handler"),
            "state": conf.get("State") or "Active",
            "env": env,
            "architectures": conf.get("Architectures") or ["x86_64"],
        }
        spec["pool_key"] = hashlib.sha256(json.dumps(
            [spec["arn"], version, spec["code_sha256"], spec["memory"], spec["timeout"], spec["handler"], env],
            sort_keys=True).encode()).hexdigest()
        with self.spec_lock:
            if gen == self.spec_generation:
                self.spec_cache[key] = (time.monotonic() + 30, spec)
        return spec, None


def aws_error(status, error_type, message, extra=None, headers=None):
    body = {"Type": "User", "message": message}
    if extra:
        body.update(extra)
    h = [("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type),
         ("x-amzn-RequestId", str(uuid.uuid4()))]
    if headers:
        h.extend(headers)
    return status, h, json.dumps(body).encode()


def function_error(error_type, message, request_id, version):
    body = json.dumps({"errorType": error_type, "errorMessage": message}).encode()
    return 200, [
        ("Content-Type", "application/json"),
        ("X-Amz-Function-Error", "Unhandled"),
        ("X-Amz-Executed-Version", version),
        ("x-amzn-RequestId", request_id),
    ], body


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "orbital-lambda-glue"
    glue = None  # set in main()

    def log_message(self, fmt, *args):  # the glue logs what matters itself
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if "chunked" in te.lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, headers, body, reason=None, head=False):
        self.send_response(status, reason)
        has_len = False
        for k, v in headers:
            lk = k.lower()
            if lk in HOP_BY_HOP or lk in ("date", "server"):
                continue
            if lk == "content-length":
                if not head:
                    continue
                has_len = True
            self.send_header(k, v)
        if not head or not has_len:
            self.send_header("Content-Length", str(len(body)))
        # Headers and body in one write (with TCP_NODELAY: no Nagle / delayed-ACK stalls).
        self._headers_buffer.append(b"\r\n")
        if body and not head:
            self._headers_buffer.append(body)
        self.flush_headers()

    def _json(self, status, obj):
        self._send(status, [("Content-Type", "application/json")], (json.dumps(obj, indent=1) + "\n").encode())

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def dispatch(self):
        try:
            body = self._read_body()
            split = urllib.parse.urlsplit(self.path)
            path = split.path
            query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
            if path.startswith("/_glue/"):
                return self.control(path, query)
            m = RUNTIME_RE.match(path)
            if m:
                return self.runtime_api(m.group(1), m.group(2), split.query, body)
            m = INVOKE_RE.match(path) if self.command == "POST" else None
            if m:
                self.glue.stats.request("lambda", "Invoke", function_name_of(urllib.parse.unquote(m.group(1)))[0])
                return self.invoke(urllib.parse.unquote(m.group(1)), query, body)
            return self.forward(path, query, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:
            log("glue: ERROR in %s %s: %s\n%s" % (self.command, self.path, e, traceback.format_exc()))
            try:
                self._send(*aws_error(500, "ServiceException", "orbital test glue: %s: %s" % (type(e).__name__, e)))
            except OSError:
                self.close_connection = True

    # -- control --------------------------------------------------------------------------

    def control(self, path, query):
        g = self.glue
        q = lambda k, d=None: query.get(k, [d])[0]
        if path == "/_glue/health":
            return self._json(200, {"ok": True, "moto": g.cfg.moto, "emulator": g.cfg.emulator,
                                    "slots": g.cfg.slots, "version": g.cfg.version, "pid": os.getpid(),
                                    "runtime_api": "glue" if g.cfg.runtime_via_glue else "emulator"})
        if path == "/_glue/stats":
            return self._json(200, g.stats.snapshot(g.runtime))
        if path == "/_glue/reset-stats" and self.command == "POST":
            g.stats.reset()
            return self._json(200, {"ok": True})
        if path == "/_glue/state":
            return self._json(200, {"runtime": g.runtime.snapshot(), "faults": g.faults.snapshot(),
                                    "code_cache": sorted(os.listdir(g.code.root))})
        if path in ("/_glue/throttle", "/_glue/fail") and self.command == "POST":
            try:
                count = int(q("count", "1"))
            except ValueError:
                return self._json(400, {"error": "count must be an integer"})
            function = q("function", "*")
            if path == "/_glue/throttle":
                fault = {
                    "status": 429,
                    "type": "TooManyRequestsException",
                    "message": q("message", "Rate Exceeded."),
                    "reason": q("reason", "ReservedFunctionConcurrentInvocationLimitExceeded"),
                    "retry_after": q("retry_after"),
                }
            else:
                fault = {
                    "status": int(q("status", "500")),
                    "type": q("type", "ServiceException"),
                    "message": q("message", "injected by the orbital test glue"),
                }
            g.faults.add(function, count, fault)
            return self._json(200, {"ok": True, "pending": g.faults.snapshot()})
        if path == "/_glue/clear-faults" and self.command == "POST":
            return self._json(200, {"ok": True, "cleared": g.faults.clear()})
        if path == "/_glue/kill" and self.command == "POST":
            return self._json(200, {"ok": True, "killed": g.runtime.kill_function(q("function", "*"))})
        return self._json(404, {"error": "unknown glue endpoint %s %s" % (self.command, path), "endpoints": [
            "GET /_glue/health", "GET /_glue/stats", "POST /_glue/reset-stats", "GET /_glue/state",
            "POST /_glue/throttle?count=N&function=NAME[&reason=R&retry_after=S]",
            "POST /_glue/fail?count=N&function=NAME&status=500&type=ServiceException&message=M",
            "POST /_glue/clear-faults", "POST /_glue/kill?function=NAME"]})

    # -- pass-through to moto ----------------------------------------------------------------

    def forward(self, path, query, body):
        g = self.glue
        service, _ = g.classifier.service_of(self.path, query, self.headers, body)
        function = bucket = None
        op = self.command + " " + path
        extra = None
        if service == "lambda":
            op, ident = g.classifier.lambda_op(self.command, path)
            function = function_name_of(ident)[0] if ident else None
            if op in ("CreateFunction", "UpdateFunctionCode") and len(body) > CODE_REQUEST_LIMIT:
                g.stats.request(service, op, function)
                return self._send(*aws_error(
                    413, "RequestEntityTooLargeException",
                    "Request must be smaller than %d bytes for the %s operation" % (CODE_REQUEST_LIMIT, op)))
            if op in ("CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration"):
                try:
                    doc = json.loads(body or b"{}")
                except ValueError:
                    doc = {}
                if op == "CreateFunction":
                    function = doc.get("FunctionName") and function_name_of(doc["FunctionName"])[0]
                rejected = self.check_environment(doc)
                if rejected:
                    g.stats.request(service, op, function)
                    return self._send(*rejected)
                try:
                    extra = self.capture_code(op, doc)
                except ValueError as e:
                    g.stats.request(service, op, function)
                    return self._send(*aws_error(400, "InvalidParameterValueException", str(e)))
        elif service == "s3":
            op, bucket = g.classifier.s3_op(self.command, path, query, self.headers)
        elif service in ("iam", "sts", "query"):
            op = g.classifier.query_action(query, body)
        g.stats.request(service, op, function, bucket)
        status, reason, headers, data = Upstream.request(g.cfg.moto, self.command, self.path, self.headers.items(), body)
        if service == "lambda" and self.command not in ("GET", "HEAD"):
            g.invalidate_specs()
        if extra and 200 <= status < 300:
            extra(data)
        if op == "DeleteFunction" and function and 200 <= status < 300:
            g.runtime.kill_function(function)  # its processes go with it
        self._send(status, headers, data, reason, head=self.command == "HEAD")

    def check_environment(self, doc):
        env = (doc.get("Environment") or {}).get("Variables")
        if not env:
            return None
        reserved = sorted(k for k in env if k in RESERVED_ENV)
        if reserved:
            return aws_error(400, "InvalidParameterValueException",
                             "Lambda was unable to configure your environment variables because the environment "
                             "variables you have provided contains reserved keys that are currently not supported "
                             "for modification. Reserved keys used in this request: " + ", ".join(reserved))
        size = sum(len(k.encode()) + len(str(v).encode()) for k, v in env.items())
        if size > ENV_LIMIT:
            return aws_error(400, "InvalidParameterValueException",
                             "Lambda was unable to configure your environment variables because the environment "
                             "variables you have provided exceeded the 4KB limit. String measured: "
                             + json.dumps(env, separators=(",", ":"))[:200])
        return None

    def capture_code(self, op, doc):
        """Keep the function's zip (moto keeps it but cannot give it back). Returns a callback
        for moto's answer, or None."""
        g = self.glue
        code = doc.get("Code") if op == "CreateFunction" else doc
        if not isinstance(code, dict):
            return None
        if code.get("ZipFile"):
            try:
                data = base64.b64decode(code["ZipFile"])
            except Exception:
                return None
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    unzipped = sum(i.file_size for i in z.infolist())
            except zipfile.BadZipFile:
                raise ValueError("Could not unzip uploaded file. Please check your file, then try to upload again.")
            if unzipped > UNZIPPED_LIMIT:
                raise ValueError("Unzipped size must be smaller than %d bytes" % UNZIPPED_LIMIT)
            digest = g.code.put(data)
            log("glue: %s: kept a %d-byte zip (sha256 %s)" % (op, len(data), digest[:16]))
            return None
        if code.get("S3Bucket") and code.get("S3Key"):
            path = "/%s/%s" % (urllib.parse.quote(code["S3Bucket"]), urllib.parse.quote(code["S3Key"]))
            if code.get("S3ObjectVersion"):
                path += "?versionId=" + urllib.parse.quote(code["S3ObjectVersion"])
            auth = [(k, v) for k, v in self.headers.items() if k.lower() == "authorization"]

            def fetch(_answer):
                status, _, _, data = Upstream.request(g.cfg.moto, "GET", path, auth, b"")
                if status == 200:
                    digest = g.code.put(data)
                    log("glue: %s: kept the %d-byte zip s3:/%s (sha256 %s)" % (op, len(data), path, digest[:16]))
                else:
                    log("glue: %s: could not fetch the code s3:/%s from moto (HTTP %d)" % (op, path, status))

            return fetch
        return None

    # -- runtime API (the functions' processes) -----------------------------------------------

    def runtime_api(self, slot, rest, query, body):
        g = self.glue
        target = "/.rt/%s%s%s" % (slot, rest, "?" + query if query else "")
        headers = list(self.headers.items())
        is_next = self.command == "GET" and rest.endswith("/runtime/invocation/next")
        with g.runtime.lock:
            proc = g.runtime.by_slot.get(slot)
        status, reason, rheaders, data = Upstream.request(
            g.cfg.emulator, self.command, target, headers, body, timeout=None if is_next else 60,
            holder=proc if is_next else None, attr="poll_conn")
        if is_next and status == 200 and (proc is None or proc.state == "dead"):
            # The process that polled is gone: nobody will answer this invocation; fail it
            # rather than let the invoke wait for its timeout.
            rid = dict((k.lower(), v) for k, v in rheaders).get("lambda-runtime-aws-request-id")
            log("glue: an invocation reached the dead runtime of %s; failing it" % slot)
            if rid:
                Upstream.request(g.cfg.emulator, "POST", "/.rt/%s/2018-06-01/runtime/invocation/%s/error" % (slot, rid),
                                 [("Content-Type", "application/json")],
                                 json.dumps({"errorType": "Runtime.ExitError",
                                             "errorMessage": "the runtime process exited before taking the invocation"}).encode(),
                                 timeout=10)
            self.close_connection = True
            return
        if is_next and status == 200 and proc is not None and proc.current is not None:
            inv = proc.current
            inv.picked_at = time.monotonic()
            # Lambda's clock starts when the runtime takes the invocation (init has its own).
            inv.deadline_ms = int((time.time() + proc.pool.spec["timeout"]) * 1000)
            fixed = []
            for k, v in rheaders:
                lk = k.lower()
                if lk == "lambda-runtime-deadline-ms":
                    v = str(inv.deadline_ms)
                elif lk == "lambda-runtime-invoked-function-arn":
                    v = inv.arn
                elif lk == "lambda-runtime-aws-request-id":
                    inv.request_id = v
                fixed.append((k, v))
            rheaders = fixed
            inv.picked_up.set()
            inv.wake.set()
        self._send(status, rheaders, data, reason)

    # -- Invoke -------------------------------------------------------------------------------

    def invoke(self, ident, query, body):
        g = self.glue
        name, qual_in_name = function_name_of(ident)
        qualifier = query.get("Qualifier", [None])[0] or qual_in_name
        m = CREDENTIAL_RE.search(self.headers.get("Authorization", ""))
        region = m.group(3) if m else g.cfg.region
        inv_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
        opts = {
            "content_type": self.headers.get("Content-Type") or "application/json",
            "client_context": self.headers.get("X-Amz-Client-Context"),
            "log_tail": self.headers.get("X-Amz-Log-Type") == "Tail" and inv_type == "RequestResponse",
        }

        fault = g.faults.take(name)
        if fault is not None:
            g.stats.outcome(name, "injected_%d" % fault["status"])
            extra = {"Reason": fault["reason"]} if fault.get("reason") else None
            hdrs = [("Retry-After", fault["retry_after"])] if fault.get("retry_after") else None
            return self._send(*aws_error(fault["status"], fault["type"], fault["message"], extra, hdrs))

        if inv_type == "RequestResponse" and len(body) > REQUEST_LIMIT:
            g.stats.outcome(name, "request_too_large")
            return self._send(*aws_error(
                413, "RequestTooLargeException",
                "Request must be smaller than %d bytes for the InvokeFunction operation" % REQUEST_LIMIT))

        auth = [(k, v) for k, v in self.headers.items() if k.lower() in ("authorization", "x-amz-date", "x-amz-security-token")]
        if not m:
            # moto takes a request without a signature for S3: sign it (badly) as Lambda's.
            auth = [("Authorization", "AWS4-HMAC-SHA256 Credential=%s/20200101/%s/lambda/aws4_request, "
                                      "SignedHeaders=host, Signature=0" % (g.cfg.access_key, region))]
        # moto fails (HTTP 500) on a partial ARN (ACCOUNT:function:NAME): give it the name.
        spec, err = g.function_spec(ident if ident.startswith("arn:") else name, qualifier, region, auth)
        if err is not None:
            status, headers, data = err
            if status == 404:
                g.stats.outcome(name, "not_found")
                try:
                    msg = json.loads(data).get("message") or "Function not found"
                except ValueError:
                    msg = "Function not found: " + ident
                return self._send(*aws_error(404, "ResourceNotFoundException", msg))
            g.stats.outcome(name, "control_plane_error")
            return self._send(status, headers, data)
        name = spec["name"]
        if spec["state"] != "Active":
            return self._send(*aws_error(
                409, "ResourceConflictException",
                "The operation cannot be performed at this time. The function is currently in the following state: "
                + spec["state"]))

        if inv_type == "DryRun":
            g.stats.outcome(name, "dry_run")
            return self._send(204, [("x-amzn-RequestId", str(uuid.uuid4()))], b"")
        if inv_type == "Event":
            g.stats.outcome(name, "event")
            rid = str(uuid.uuid4())
            threading.Thread(target=self.run_invocation, args=(spec, body, rid, opts), daemon=True).start()
            return self._send(202, [("x-amzn-RequestId", rid), ("Content-Type", "application/json")], b"")

        status, headers, data = self.run_invocation(spec, body, str(uuid.uuid4()), opts)
        self._send(status, headers, data)

    def run_invocation(self, spec, body, rid, opts):
        g = self.glue
        name = spec["name"]
        version = spec["version"]
        hexsha = CodeStore.hex_of_code_sha(spec["code_sha256"])
        try:
            code_dir = g.code.unpacked(hexsha) if hexsha else None
        except KeyError:
            code_dir = None
        except zipfile.BadZipFile as e:
            g.stats.outcome(name, "bad_zip")
            return aws_error(502, "InvalidZipFileException", "Lambda was unable to unzip the code: %s" % e)
        if code_dir is None:
            g.stats.outcome(name, "code_unknown")
            return aws_error(500, "ServiceException",
                             "orbital test glue: no code with CodeSha256 %s: functions must be created and updated "
                             "through the glue (http://127.0.0.1:%d), not directly against moto"
                             % (spec["code_sha256"], g.cfg.port))
        bootstrap = os.path.join(code_dir, "bootstrap")
        if not os.path.isfile(bootstrap):
            g.stats.outcome(name, "invalid_entrypoint")
            return function_error("Runtime.InvalidEntrypoint",
                                  "RequestId: %s Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]" % rid,
                                  rid, version)
        if not os.access(bootstrap, os.X_OK):
            g.stats.outcome(name, "invalid_entrypoint")
            return function_error("Runtime.InvalidEntrypoint",
                                  "RequestId: %s Error: fork/exec /var/task/bootstrap: permission denied" % rid, rid, version)
        spec = dict(spec, code_dir=code_dir)

        timeout = spec["timeout"]
        inv = Invocation(rid, int((time.time() + timeout) * 1000), spec["invoked_arn"])
        try:
            proc, cold = g.runtime.acquire(spec, inv)
        except LookupError:
            g.stats.outcome(name, "throttled_no_slot")
            return aws_error(429, "TooManyRequestsException", "Rate Exceeded.",
                             {"Reason": "ConcurrentInvocationLimitExceeded"})
        except OSError as e:
            g.stats.outcome(name, "invalid_entrypoint")
            return function_error("Runtime.InvalidEntrypoint",
                                  "RequestId: %s Error: fork/exec /var/task/bootstrap: %s" % (rid, e.strerror or e),
                                  rid, version)
        if cold:
            g.stats.outcome(name, "cold_start")
        g.stats.enter(name)
        kill = False
        log_from = None
        try:
            result = self._invoke_process(spec, body, proc, cold, inv, opts)
            kill = result[3]
            status, headers, data = result[:3]
            log_from = result[4]
            if log_from is not None:
                try:
                    with open(proc.log_path, "rb") as f:
                        f.seek(log_from)
                        tail = f.read()[-4096:]
                    headers = headers + [("X-Amz-Log-Result", base64.b64encode(tail).decode())]
                except OSError:
                    pass
            return status, headers, data
        finally:
            g.stats.leave(name)
            g.runtime.release(proc, inv, kill=kill)

    @staticmethod
    def _watchdog(inv, timeout, cold, t0):
        """The function's Timeout: from the moment the runtime takes the invocation (or, if it
        never does, from the invoke plus Lambda's 10 s for init on a cold start). Also cuts the
        invoke's connection to the emulator when the process died."""
        limit = t0 + (INIT_ALLOWANCE if cold else 0) + timeout
        while not inv.done.is_set():
            if inv.exit_status is None and not inv.timed_out:
                deadline = inv.picked_at + timeout if inv.picked_at is not None else limit
                rem = deadline - time.monotonic()
                if rem > 0:
                    inv.wake.wait(rem)
                    inv.wake.clear()
                    continue
                inv.timed_out = True
            # Timed out or dead: cut the connection (again, until the invoke notices: it may
            # not be open yet).
            shutdown_conn(inv.conn)
            inv.done.wait(0.01)

    def _invoke_process(self, spec, body, proc, cold, inv, opts):
        """(status, headers, body, kill the process?, log offset or None) of one invocation."""
        g = self.glue
        name = spec["name"]
        version = spec["version"]
        timeout = spec["timeout"]
        headers = [("Content-Type", opts["content_type"])]
        if opts["client_context"]:
            try:
                # The emulator base64-encodes it again for the runtime.
                headers.append(("lambda-runtime-client-context", base64.b64decode(opts["client_context"]).decode()))
            except Exception:
                pass
        log_from = None
        if opts["log_tail"] and proc.log_path:
            try:
                log_from = os.path.getsize(proc.log_path)
            except OSError:
                pass
        threading.Thread(target=self._watchdog, args=(inv, timeout, cold, time.monotonic()), daemon=True).start()
        try:
            try:
                if inv.exit_status is not None:  # died at once (a cold start)
                    raise ConnectionAbortedError("the process exited")
                inv.posted = True
                status, _, _, data = Upstream.request(
                    g.cfg.emulator, "POST", "/2015-03-31/functions/%s/invocations" % proc.slot, headers, body,
                    timeout=timeout + INIT_ALLOWANCE + 30, holder=inv)
            finally:
                inv.done.set()
                inv.wake.set()
        except Exception:
            if inv.timed_out and inv.exit_status is None:
                g.stats.outcome(name, "timeout")
                log("glue: %s timed out after %.2f s in %s; killing it" % (name, timeout, proc.slot))
                return function_error("Sandbox.Timedout",
                                      "RequestId: %s Error: Task timed out after %.2f seconds" % (inv.request_id, timeout),
                                      inv.request_id, version) + (True, log_from)
            # The process died (its watcher cut the connection; give it a moment to say so), or
            # the emulator went away.
            for _ in range(50):
                if inv.exit_status is not None:
                    break
                time.sleep(0.01)
            if inv.exit_status is None:
                raise
            status, data = None, b""
        if status is None or (inv.exit_status is not None and status != 200):
            g.stats.outcome(name, "exit_error")
            return function_error("Runtime.ExitError",
                                  "RequestId: %s Error: Runtime exited with error: %s" % (inv.request_id, exit_text(inv.exit_status)),
                                  inv.request_id, version) + (False, log_from)
        rid = inv.request_id
        if status == 200:
            if len(data) > RESPONSE_LIMIT:
                g.stats.outcome(name, "response_too_large")
                return function_error("Function.ResponseSizeTooLarge",
                                      "Response payload size exceeded maximum allowed payload size (%d bytes)." % RESPONSE_LIMIT,
                                      rid, version) + (False, log_from)
            g.stats.outcome(name, "ok")
            return (200, [("Content-Type", "application/json"), ("X-Amz-Executed-Version", version),
                          ("x-amzn-RequestId", rid)], data, False, log_from)
        if status == 500:
            try:
                doc = json.loads(data)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and ("errorType" in doc or "errorMessage" in doc):
                g.stats.outcome(name, "function_error")
                return (200, [("Content-Type", "application/json"), ("X-Amz-Function-Error", "Unhandled"),
                              ("X-Amz-Executed-Version", version), ("x-amzn-RequestId", rid)], data, False, log_from)
        g.stats.outcome(name, "emulator_error")
        log("glue: the emulator answered HTTP %s for %s: %r" % (status, proc.slot, data[:500]))
        return aws_error(502, "ServiceException",
                         "orbital test glue: the emulator answered HTTP %s: %s" % (status, data[:500].decode("utf-8", "replace"))) + (False, log_from)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


def main():
    global CFG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=4566)
    ap.add_argument("--moto", default="127.0.0.1:5000")
    ap.add_argument("--emulator", default="127.0.0.1:9000")
    ap.add_argument("--state", default="/tmp/orb-aws")
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--idle-secs", type=float, default=600)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--access-key", default="testing")
    ap.add_argument("--secret-key", default="testing")
    ap.add_argument("--version", default="", help="shown by /_glue/health (harness/aws: a hash of this file)")
    ap.add_argument("--runtime-direct", dest="runtime_via_glue", action="store_false",
                    help="functions poll the emulator directly (deadline and ARN are then the emulator's fakes)")
    CFG = ap.parse_args()
    glue = Glue(CFG)
    Handler.glue = glue
    server = Server(("127.0.0.1", CFG.port), Handler)

    def stop(signum, _frame):
        log("glue: signal %d; stopping the function processes" % signum)
        glue.runtime.stop_all()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log("glue: listening on 127.0.0.1:%d (moto %s, emulator %s, %d slots, runtime API %s)" % (
        CFG.port, CFG.moto, CFG.emulator, CFG.slots, "via the glue" if CFG.runtime_via_glue else "direct"))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        glue.runtime.stop_all()
        log("glue: stopped")


if __name__ == "__main__":
    main()
