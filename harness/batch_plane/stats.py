"""Request and job counters of the Batch plane (GET /_plane/stats), and which service and operation
a request is: the SigV4 credential scope names the service (Authorization header or a presigned
URL's X-Amz-Credential); Batch's operations come from its path (botocore's model), CloudWatch
Logs' from X-Amz-Target, IAM's and STS's from Action, S3's roughly from method + path + query."""

import collections
import datetime
import re
import threading
import urllib.parse

CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


def _batch_paths():
    """{"/v1/submitjob": "SubmitJob", ...} for Batch's POST operations (botocore's model)."""
    try:
        import botocore.session

        model = botocore.session.get_session().get_service_model("batch")
        out = {}
        for name in model.operation_names:
            http = model.operation_model(name).http
            if http["method"] == "POST" and "{" not in http["requestUri"]:
                out[http["requestUri"].rstrip("/")] = name
        return out
    except Exception:  # the stats then name operations by path
        return {}


BATCH_PATHS = _batch_paths()


def service_of(path, query, headers):
    """The service a request is for: its credential scope, else a guess from its shape."""
    m = CREDENTIAL_RE.search(headers.get("Authorization", ""))
    if not m:
        cred = query.get("X-Amz-Credential", [""])[0]
        m = CREDENTIAL_RE.search("Credential=" + cred) if cred else None
    if m:
        return m.group(4)
    target = headers.get("X-Amz-Target", "")
    if target.startswith("Logs_"):
        return "logs"
    if path.startswith("/v1/") and path.rstrip("/") in BATCH_PATHS:
        return "batch"
    if "Action" in query:
        return "query"
    return "s3"


def batch_op(method, path):
    p = path.rstrip("/")
    if p in BATCH_PATHS:
        return BATCH_PATHS[p]
    if p.startswith("/v1/tags/"):
        return {"GET": "ListTagsForResource", "POST": "TagResource", "DELETE": "UntagResource"}.get(method, method + " /v1/tags")
    return "%s %s" % (method, p)


def query_action(query, body):
    if "Action" in query:
        return query["Action"][0]
    try:
        return urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[0]
    except Exception:
        return "?"


def s3_op(method, path, query, headers):
    """The S3 operation of a path-style request (roughly: enough for counting)."""
    parts = path.lstrip("/").split("/", 1)
    bucket = parts[0] or None
    key = parts[1] if len(parts) > 1 and parts[1] else None
    q = set(query)
    subs = ("policy", "versioning", "tagging", "acl", "cors", "lifecycle", "encryption", "notification", "website")
    if bucket is None:
        return "ListBuckets" if method == "GET" else method + " /"
    if key is None:
        sub = [s for s in subs if s in q]
        if method == "PUT":
            return "PutBucket" + sub[0].capitalize() if sub else "CreateBucket"
        if method == "DELETE":
            return "DeleteBucket" if not q else "DeleteBucket" + (sub[0].capitalize() if sub else "Sub")
        if method == "HEAD":
            return "HeadBucket"
        if method == "POST" and "delete" in q:
            return "DeleteObjects"
        if method == "GET":
            for name, op in (("uploads", "ListMultipartUploads"), ("versions", "ListObjectVersions"),
                             ("location", "GetBucketLocation")):
                if name in q:
                    return op
            if query.get("list-type", [""])[0] == "2":
                return "ListObjectsV2"
            return "GetBucket" + sub[0].capitalize() if sub else "ListObjects"
        return method + " bucket"
    if method == "PUT":
        if "partNumber" in q and "uploadId" in q:
            return "UploadPartCopy" if "x-amz-copy-source" in headers else "UploadPart"
        if "tagging" in q:
            return "PutObjectTagging"
        if "acl" in q:
            return "PutObjectAcl"
        return "CopyObject" if "x-amz-copy-source" in headers else "PutObject"
    if method == "GET":
        if "uploadId" in q:
            return "ListParts"
        if "tagging" in q:
            return "GetObjectTagging"
        return "GetObject"
    if method == "HEAD":
        return "HeadObject"
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
    if method == "POST":
        if "uploads" in q:
            return "CreateMultipartUpload"
        if "uploadId" in q:
            return "CompleteMultipartUpload"
        if "restore" in q:
            return "RestoreObject"
    return method + " object"


def classify(method, path, query, headers, body):
    """(service, operation) of a request."""
    service = service_of(path, query, headers)
    if service == "batch":
        return service, batch_op(method, path)
    if service == "logs":
        target = headers.get("X-Amz-Target", "")
        return service, target.split(".", 1)[1] if "." in target else (target or method + " " + path)
    if service == "s3":
        return service, s3_op(method, path, query, headers)
    if service in ("iam", "sts", "query", "ec2"):
        return service, query_action(query, body)
    target = headers.get("X-Amz-Target", "")
    if target:
        return service, target.split(".", 1)[-1]
    return service, "%s %s" % (method, path)


class Stats:
    JOB_KEYS = ("submitted", "array_children", "attempts", "succeeded", "failed", "arrays_succeeded",
                "arrays_failed", "oom_kills", "timeouts", "lost_hosts", "retries", "terminated", "cancelled")

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.since = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
            self.requests = collections.defaultdict(collections.Counter)
            self.jobs = collections.Counter({k: 0 for k in self.JOB_KEYS})
            self.max_running = self.running

    def request(self, service, op):
        with self.lock:
            self.requests[service][op] += 1

    def job(self, what, n=1):
        with self.lock:
            self.jobs[what] += n

    def enter_running(self):
        with self.lock:
            self.running += 1
            self.max_running = max(self.max_running, self.running)

    def leave_running(self):
        with self.lock:
            self.running -= 1

    def snapshot(self):
        with self.lock:
            return {
                "since": self.since,
                "requests": {s: dict(c) for s, c in self.requests.items()},
                "jobs": dict(self.jobs, running=self.running, max_running=self.max_running),
            }
