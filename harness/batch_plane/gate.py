"""The pass-through to moto (everything the plane does not serve itself) and the S3 presigned-URL
expiry gate in front of it.

A request goes to moto unchanged: method, path and query, every header but the hop-by-hop ones
(Host included: moto routes by the credential scope, the SDK signs the plane's host), the body
(de-chunked when the client sent Transfer-Encoding: chunked; aws-chunked bodies stay as they are,
moto decodes them). The answer comes back unchanged, streamed when moto gives a Content-Length.

moto serves presigned URLs after they expire; S3 does not. A request with SigV4 query auth
(X-Amz-Date + X-Amz-Expires) or SigV2 query auth (AWSAccessKeyId + Expires) past its expiry gets
S3's 403 AccessDenied "Request has expired" here and never reaches moto."""

import datetime
import http.client
import socket
import uuid
from xml.sax.saxutils import escape

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
    "expect",
}
CHUNK = 1 << 16


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def presign_expired(query, now=None):
    """None, or (X-Amz-Expires or None, the expiry instant) when a presigned request has expired."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    date = query.get("X-Amz-Date", [None])[0]
    expires = query.get("X-Amz-Expires", [None])[0]
    if date and expires:
        try:
            start = datetime.datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
            end = start + datetime.timedelta(seconds=int(expires))
        except ValueError:
            return None
        return (expires, end) if now > end else None
    epoch = query.get("Expires", [None])[0]
    if epoch and "AWSAccessKeyId" in query and "Signature" in query:
        try:
            end = datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        except (ValueError, OverflowError, OSError):
            return None
        return (None, end) if now > end else None
    return None


def expired_answer(expires, end):
    """S3's answer to an expired presigned URL: (status, headers, body)."""
    rid = uuid.uuid4().hex[:16].upper()
    now = datetime.datetime.now(datetime.timezone.utc)
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            "<Message>Request has expired</Message>%s<Expires>%s</Expires><ServerTime>%s</ServerTime>"
            "<RequestId>%s</RequestId><HostId>%s</HostId></Error>") % (
        "<X-Amz-Expires>%s</X-Amz-Expires>" % escape(expires) if expires is not None else "",
        _iso(end), _iso(now), rid, uuid.uuid4().hex)
    return 403, [("Content-Type", "application/xml"), ("x-amz-request-id", rid)], body.encode()


def request(hostport, method, path, headers, body, timeout=600):
    """A raw request to moto: (connection, response); the caller reads and closes."""
    host, port = hostport.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    has_host = False
    for k, v in headers:
        lk = k.lower()
        if lk in HOP_BY_HOP or lk == "content-length":
            continue
        has_host = has_host or lk == "host"
        conn.putheader(k, v)
    if not has_host:
        conn.putheader("Host", hostport)
    if body or method in ("POST", "PUT", "PATCH"):
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body if body else None)
    return conn, conn.getresponse()


def forward(handler, moto, body):
    """Relay the handler's request to moto and moto's answer to the client. Returns the status."""
    conn, resp = request(moto, handler.command, handler.path, handler.headers.items(), body)
    try:
        head = handler.command == "HEAD"
        headers = [(k, v) for k, v in resp.getheaders()
                   if k.lower() not in HOP_BY_HOP and k.lower() not in ("date", "server")]
        length = resp.getheader("Content-Length")
        if head or length is None or resp.chunked:
            data = b"" if head else resp.read()
            handler.send(resp.status, headers, data, reason=resp.reason, head=head)
            return resp.status
        handler.send_response(resp.status, resp.reason)
        for k, v in headers:
            handler.send_header(k, v)
        handler.end_headers()
        left = int(length)
        while left > 0:
            chunk = resp.read(min(CHUNK, left))
            if not chunk:
                handler.close_connection = True  # moto hung up early: so must we
                break
            handler.wfile.write(chunk)
            left -= len(chunk)
        handler.wfile.flush()
        return resp.status
    finally:
        conn.close()
