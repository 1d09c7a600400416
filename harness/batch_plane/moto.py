"""The plane's own calls to moto (boto3, straight to moto's port; not counted in the stats): job
queues, compute environments and job definitions for SubmitJob, and CloudWatch Logs for the
jobs' output. Job definitions are cached by ARN (a revision never changes; a deregistration
through the plane drops the cache), compute environments' types by ARN."""

import threading

import boto3
import botocore.exceptions
from botocore.config import Config


class Moto:
    def __init__(self, cfg):
        kw = dict(endpoint_url="http://" + cfg.moto, region_name=cfg.region, aws_access_key_id=cfg.access_key,
                  aws_secret_access_key=cfg.secret_key,
                  config=Config(retries={"mode": "standard", "total_max_attempts": 3}, max_pool_connections=64,
                                connect_timeout=10, read_timeout=60))
        session = boto3.session.Session()
        self.batch = session.client("batch", **kw)
        self.logs = session.client("logs", **kw)
        self.lock = threading.Lock()
        self.definitions = {}  # ARN -> the definition as DescribeJobDefinitions gives it
        self.ce_types = {}  # compute environment ARN or name -> EC2 | SPOT | FARGATE | FARGATE_SPOT

    def queue(self, ident):
        """The queue (DescribeJobQueues' shape) named or ARN'd by ident, or None."""
        queues = self.batch.describe_job_queues(jobQueues=[ident]).get("jobQueues", [])
        for q in queues:
            if ident in (q.get("jobQueueName"), q.get("jobQueueArn")):
                return q
        return None

    def ce_type(self, ident):
        """The compute resources' type of a compute environment (UNMANAGED ones: EC2)."""
        with self.lock:
            if ident in self.ce_types:
                return self.ce_types[ident]
        envs = self.batch.describe_compute_environments(computeEnvironments=[ident]).get("computeEnvironments", [])
        for ce in envs:
            if ident in (ce.get("computeEnvironmentName"), ce.get("computeEnvironmentArn")):
                t = (ce.get("computeResources") or {}).get("type", "EC2")
                with self.lock:
                    self.ce_types[ce["computeEnvironmentName"]] = self.ce_types[ce["computeEnvironmentArn"]] = t
                return t
        return None

    def definition(self, ident):
        """The job definition named by ident (NAME: its latest ACTIVE revision; NAME:REV; or its
        ARN), or None."""
        with self.lock:
            if ident in self.definitions:
                return self.definitions[ident]
        if ident.startswith("arn:"):
            found = self.batch.describe_job_definitions(jobDefinitions=[ident]).get("jobDefinitions", [])
            found = [d for d in found if d.get("jobDefinitionArn") == ident]
        else:
            name, _, rev = ident.partition(":")
            found = self._all_revisions(name)
            if rev:
                found = [d for d in found if str(d.get("revision")) == rev]
            else:
                found = [d for d in found if d.get("status") == "ACTIVE"]
        if not found:
            return None
        d = max(found, key=lambda d: d.get("revision", 0))
        with self.lock:
            self.definitions[d["jobDefinitionArn"]] = d
        return d

    def _all_revisions(self, name):
        out, token = [], None
        while True:
            kw = {"jobDefinitionName": name}
            if token:
                kw["nextToken"] = token
            page = self.batch.describe_job_definitions(**kw)
            out.extend(d for d in page.get("jobDefinitions", []) if d.get("jobDefinitionName") == name)
            token = page.get("nextToken")
            if not token:
                return out

    def forget_definitions(self):
        with self.lock:
            self.definitions.clear()

    # -- CloudWatch Logs ----------------------------------------------------------------------

    def log_group_exists(self, group):
        page = self.logs.describe_log_groups(logGroupNamePrefix=group)
        return any(g.get("logGroupName") == group for g in page.get("logGroups", []))

    def create_log_group(self, group):
        try:
            self.logs.create_log_group(logGroupName=group)
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                raise

    def create_log_stream(self, group, stream):
        try:
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        except botocore.exceptions.ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
                raise

    def put_log_events(self, group, stream, events):
        self.logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)
