"""The jobs' output into moto's CloudWatch Logs, as Batch's awslogs driver puts it.

The group is the definition's logConfiguration (logDriver awslogs, option awslogs-group; default
/aws/batch/job, which Batch creates itself). Another group must exist, unless the option
awslogs-create-group is "true"; else the attempt fails to start as ECS fails it. The stream is
<awslogs-stream-prefix, default the definition's name>/default/<the task id, 32 hex>, created when
the attempt starts. A definition with another logDriver gets no stream (and no logStreamName).

A shipper thread reads each running attempt's output file every --log-flush seconds (about 1 s)
and sends the complete lines that are new: one event per line (without the newline; empty lines
are dropped, as the awslogs driver drops them; a line longer than CloudWatch's 256 KB event limit
is cut into pieces), timestamped when read, in PutLogEvents calls of at most 10 000 events and
1 MB. When the attempt ends, the rest (a last line without a newline too) goes out before the
job's status changes, so a job seen SUCCEEDED or FAILED has all its output in its stream."""

import threading
import time

from .jobs import StartError

DEFAULT_GROUP = "/aws/batch/job"
MAX_EVENT = 262144 - 26  # bytes of message in one event
MAX_BATCH_BYTES = 1048576
MAX_BATCH_EVENTS = 10000


def log_settings(definition):
    """(group or None, stream prefix, create the group?) from a job definition."""
    props = definition.get("containerProperties") or {}
    lc = props.get("logConfiguration") or {}
    name = definition.get("jobDefinitionName", "job")
    if lc and lc.get("logDriver", "awslogs") != "awslogs":
        return None, name, False
    opts = lc.get("options") or {}
    group = opts.get("awslogs-group") or DEFAULT_GROUP
    create = group == DEFAULT_GROUP or str(opts.get("awslogs-create-group", "")).lower() == "true"
    return group, opts.get("awslogs-stream-prefix") or name, create


def split_message(line):
    """The pieces of one line that each fit in an event."""
    while len(line) > MAX_EVENT:
        cut = MAX_EVENT
        while cut > 0 and (line[cut] & 0xC0) == 0x80:  # not inside a UTF-8 character
            cut -= 1
        yield line[:cut or MAX_EVENT]
        line = line[cut or MAX_EVENT:]
    yield line


class LogShipper(threading.Thread):
    def __init__(self, plane):
        super().__init__(name="log-shipper", daemon=True)
        self.plane = plane
        self.moto = plane.moto
        self.interval = plane.cfg.log_flush
        self.lock = threading.Lock()
        self.attempts = set()
        self.groups = set()  # known to exist
        self.stopping = False

    def open(self, job, attempt):
        """Create the attempt's stream (and the default group); StartError if it cannot be."""
        group = job.log_group
        if not group:
            return
        if group not in self.groups:
            if not self.moto.log_group_exists(group):
                if not job.spec["create_log_group"]:
                    attempt.log_stream = None
                    raise StartError(
                        "CannotStartContainerError: ResourceInitializationError: failed to validate logger args: "
                        "create stream has been retried 1 times: failed to create Cloudwatch log stream: "
                        "ResourceNotFoundException: The specified log group does not exist. : exit status 1")
                self.moto.create_log_group(group)
            self.groups.add(group)
        self.moto.create_log_stream(group, attempt.log_stream)
        with self.lock:
            self.attempts.add(attempt)

    def close(self, attempt):
        with self.lock:
            if attempt not in self.attempts:
                return
            self.attempts.discard(attempt)
        self.ship(attempt, final=True)

    def ship(self, attempt, final=False):
        with attempt.ship_lock:
            try:
                with open(attempt.log_path, "rb") as f:
                    f.seek(attempt.log_offset)
                    data = f.read()
            except OSError:
                return
            if not final:
                end = data.rfind(b"\n")
                if end < 0:
                    if len(data) < MAX_EVENT:
                        return
                    end = len(data) - 1
                data = data[:end + 1]
            if not data:
                return
            ts = int(time.time() * 1000)
            events = []
            for line in data.split(b"\n"):
                line = line.rstrip(b"\r")
                if not line:
                    continue
                for piece in split_message(line):
                    events.append({"timestamp": ts, "message": piece.decode("utf-8", "replace")})
            try:
                self._put(attempt.job.log_group, attempt.log_stream, events)
            except Exception as e:
                self.plane.log("plane: PutLogEvents to %s %s failed: %s" % (attempt.job.log_group, attempt.log_stream, e))
                return  # tried again at the next flush (or lost, at the end)
            attempt.log_offset += len(data)

    def _put(self, group, stream, events):
        batch, size = [], 0
        for ev in events:
            n = len(ev["message"].encode("utf-8")) + 26
            if batch and (len(batch) >= MAX_BATCH_EVENTS or size + n > MAX_BATCH_BYTES):
                self.moto.put_log_events(group, stream, batch)
                batch, size = [], 0
            batch.append(ev)
            size += n
        if batch:
            self.moto.put_log_events(group, stream, batch)

    def run(self):
        while not self.stopping:
            time.sleep(self.interval)
            with self.lock:
                attempts = list(self.attempts)
            for a in attempts:
                self.ship(a)
