"""Run the Batch plane: `python -m batch_plane --port 4567 --moto 127.0.0.1:5000 ...` (see
__init__.py for what it is, and harness/aws, which starts it). Stops on SIGTERM / SIGINT, killing
the jobs' process groups first."""

import argparse
import datetime
import os
import shutil
import signal
import sys
import threading
import time

from . import __doc__ as PACKAGE_DOC
from .api import BatchApi
from .hooks import Faults
from .jobs import Scheduler
from .logs import LogShipper
from .moto import Moto
from .runner import MemorySampler, Runner, become_subreaper, kill_leftovers
from .server import Handler, Server
from .stats import Stats

LOG_LOCK = threading.Lock()


def log(msg):
    with LOG_LOCK:
        sys.stderr.write("%s %s\n" % (datetime.datetime.now().strftime("%H:%M:%S.%f")[:-3], msg))
        sys.stderr.flush()


class Plane:
    """Everything the parts share."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.pid = os.getpid()
        self.log = log
        self.work_dir = os.path.join(cfg.state, "work")
        self.logs_dir = os.path.join(cfg.state, "output")
        os.makedirs(cfg.state, exist_ok=True)
        if os.path.isdir(self.work_dir):
            kill_leftovers(self.work_dir, log)
            shutil.rmtree(self.work_dir, ignore_errors=True)
        shutil.rmtree(self.logs_dir, ignore_errors=True)
        os.makedirs(self.work_dir)
        os.makedirs(self.logs_dir)
        become_subreaper(log)
        self.stats = Stats()
        self.faults = Faults()
        self.moto = Moto(cfg)
        self.runner = Runner(self)
        self.scheduler = Scheduler(self)
        self.sampler = MemorySampler(self)
        self.logs = LogShipper(self)
        self.api = BatchApi(self)

    def start(self):
        threading.Thread(target=self.scheduler.run, name="scheduler", daemon=True).start()
        self.sampler.start()
        self.logs.start()

    def stop(self):
        self.scheduler.stop()
        self.sampler.stopping = True
        for _ in range(10):  # the jobs' orphans, killed with their groups, are ours to reap
            self.runner.reap_orphans(MemorySampler.scan(set())[1])
            time.sleep(0.05)
        self.logs.stopping = True
        shutil.rmtree(self.work_dir, ignore_errors=True)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="batch_plane", description=PACKAGE_DOC.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=4567)
    ap.add_argument("--moto", default="127.0.0.1:5000", help="moto's HOST:PORT")
    ap.add_argument("--state", default="/tmp/orb-aws/batch", help="work/ (attempt directories), output/ (job output)")
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--account", default="123456789012")
    ap.add_argument("--access-key", default="testing")
    ap.add_argument("--secret-key", default="testing")
    ap.add_argument("--state-delay", type=float, default=0.02, help="seconds per state step")
    ap.add_argument("--stop-timeout", type=float, default=30.0, help="seconds from SIGTERM to SIGKILL")
    ap.add_argument("--min-attempt-duration", type=int, default=60, help="smallest attemptDurationSeconds accepted")
    ap.add_argument("--vcpus", type=float, default=64.0, help="vCPUs of all running jobs together")
    ap.add_argument("--memory-mib", type=int, default=262144, help="MiB of all running jobs together")
    ap.add_argument("--sample-interval", type=float, default=0.05, help="seconds between RSS samples")
    ap.add_argument("--log-flush", type=float, default=1.0, help="seconds between CloudWatch Logs flushes")
    ap.add_argument("--version", default="", help="shown by /_plane/health (harness/aws: a hash of the package)")
    cfg = ap.parse_args(argv)
    cfg.public_url = "http://%s:%d" % (cfg.host, cfg.port)
    cfg.state = os.path.abspath(cfg.state)
    return cfg


def main(argv=None):
    cfg = parse_args(argv)
    plane = Plane(cfg)
    Handler.plane = plane
    server = Server((cfg.host, cfg.port), Handler)
    plane.start()

    def on_signal(signum, _frame):
        log("plane: signal %d; killing the jobs' process groups" % signum)
        threading.Thread(target=lambda: (plane.stop(), server.shutdown()), daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log("plane: listening on %s (moto %s, state %s, %g vCPUs, %d MiB, state delay %g s, stop timeout %g s, "
        "min attempt duration %d s)" % (cfg.public_url, cfg.moto, cfg.state, cfg.vcpus, cfg.memory_mib,
                                        cfg.state_delay, cfg.stop_timeout, cfg.min_attempt_duration))
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        plane.stop()
        log("plane: stopped")


if __name__ == "__main__":
    main()
