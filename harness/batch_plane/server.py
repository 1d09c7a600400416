"""The plane's HTTP front: which request goes where.

    /_plane/...                        the test hooks (hooks.py)
    POST /v1/{submitjob, describejobs, listjobs, terminatejob, canceljob}   the plane (api.py)
    POST /v1/registerjobdefinition     checked by the plane, then moto
    S3, presigned and expired          403 AccessDenied (gate.py)
    anything else                      moto, unchanged (gate.py)

A Batch request is one whose SigV4 credential scope says batch (or, unsigned, whose path is one of
Batch's). Every request is counted in the stats by service and operation. HTTP/1.1 keep-alive,
TCP_NODELAY, one thread per connection (ThreadingHTTPServer)."""

import http.server
import json
import socket
import traceback
import urllib.parse

from . import api, gate, hooks, stats


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "orbital-batch-plane"
    plane = None  # set in __main__

    def log_message(self, fmt, *args):  # the plane logs what matters itself
        pass

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
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

    def send(self, status, headers, body, reason=None, head=False):
        self.send_response(status, reason)
        has_len = False
        for k, v in headers:
            lk = k.lower()
            if lk in gate.HOP_BY_HOP or lk in ("date", "server"):
                continue
            if lk == "content-length":
                if not head:
                    continue
                has_len = True
            self.send_header(k, v)
        if not head or not has_len:
            self.send_header("Content-Length", str(len(body)))
        self._headers_buffer.append(b"\r\n")
        if body and not head:
            self._headers_buffer.append(body)
        self.flush_headers()

    def send_json(self, status, obj):
        self.send(status, [("Content-Type", "application/json")], (json.dumps(obj, indent=1) + "\n").encode())

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def dispatch(self):
        plane = self.plane
        try:
            body = self._read_body()
            split = urllib.parse.urlsplit(self.path)
            path = split.path
            query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
            if path.startswith("/_plane/"):
                return self.send_json(*hooks.control(plane, self.command, path, query))
            service, op = stats.classify(self.command, path, query, self.headers, body)
            plane.stats.request(service, op)
            if service == "batch" and self.command == "POST":
                if op in api.OWN_OPS or op == "RegisterJobDefinition":
                    answer = plane.api.handle(op, body)
                    if answer is not None:
                        return self.send(*answer)
                if op == "DeregisterJobDefinition":
                    plane.moto.forget_definitions()
            if service == "s3":
                expired = gate.presign_expired(query)
                if expired is not None:
                    return self.send(*gate.expired_answer(*expired), head=self.command == "HEAD")
            gate.forward(self, plane.cfg.moto, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:
            plane.log("plane: ERROR in %s %s: %s\n%s" % (self.command, self.path, e, traceback.format_exc()))
            try:
                self.send(*api.error_answer("orbital test plane: %s: %s" % (type(e).__name__, e),
                                            "ServerException", 500))
            except OSError:
                self.close_connection = True
