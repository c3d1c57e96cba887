# HTTP helpers and a Python HTTP-FLV viewer for the integration tests: bounded
# reads of status/headers/bodies, de-chunking, FLV tag parsing. Owner: integration tests.
# Thread: FlvHttpReader runs one reader thread per viewer; the rest is the test thread.
"""Used through harness (which re-exports these names). Stdlib only."""

import json
import re
import socket
import struct
import threading
import time
import urllib.error
import urllib.request


def http_get(url, timeout=10, headers=None, limit=1 << 20):
    """(status, headers dict lower-case, body bytes); 4xx/5xx do not raise.
    The body read stops at limit bytes or after timeout (a live stream never ends)."""
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.getheaders()}, _bounded_read(r, timeout, limit)
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, _bounded_read(e, timeout, limit)


def _bounded_read(r, timeout, limit):
    deadline = time.monotonic() + timeout
    out = b""
    while len(out) < limit and time.monotonic() < deadline:
        try:
            data = r.read1(65536)
        except (socket.timeout, ConnectionError):
            break
        if not data:
            break
        out += data
    return out


def read_http_head(sock, timeout=10):
    """Read a response head from a socket. Returns (status, headers, rest bytes)."""
    deadline = time.monotonic() + timeout
    buf = b""
    while b"\r\n\r\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no complete HTTP response head within %ss: %r" % (timeout, buf[:200]))
        sock.settimeout(left)
        data = sock.recv(65536)
        if not data:
            raise AssertionError("connection closed before the response head: %r" % buf[:200])
        buf += data
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError("bad status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return int(m.group(1)), headers, rest


def http_status(port, path, timeout=5):
    """Status and headers of GET path; closes the connection without reading the body."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path).encode())
        status, headers, _ = read_http_head(s, timeout)
        return status, headers
    finally:
        s.close()


def read_body_until_close(sock, timeout=10, limit=1 << 20):
    deadline = time.monotonic() + timeout
    out = b""
    while len(out) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except (socket.timeout, ConnectionResetError):
            break
        if not data:
            break
        out += data
    return out


def json_body_of(raw, headers):
    """Decode a (possibly chunked) small JSON body."""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw = dechunk(raw)
    elif "content-length" in headers:
        raw = raw[:int(headers["content-length"])]
    try:
        return json.loads(raw.decode("utf-8"))
    except ValueError:
        raise AssertionError("body is not JSON: %r" % raw[:300])


def dechunk(raw):
    out, pos = b"", 0
    while True:
        end = raw.find(b"\r\n", pos)
        if end < 0:
            return out
        size = int(raw[pos:end].split(b";")[0], 16)
        if size == 0:
            return out
        out += raw[end + 2:end + 2 + size]
        pos = end + 2 + size + 2


class FlvHttpReader(threading.Thread):
    """A Python HTTP-FLV viewer: GET, de-chunk, parse FLV tags, keep stats.

    tags: list of (tag_type, timestamp_ms, is_keyframe, is_seq_header, arrival);
    scripts: list of (timestamp_ms, payload bytes, arrival) of the script tags."""

    def __init__(self, port, path, rcvbuf=None, timeout=30, keep_video=False):
        super().__init__(daemon=True)
        self.port, self.path, self.rcvbuf, self.timeout = port, path, rcvbuf, timeout
        self.keep_video = keep_video
        self.videos = []  # (timestamp_ms, tag body) when keep_video
        self.status = None
        self.headers = {}
        self.bytes = 0
        self.tags = []
        self.scripts = []
        self.header_ok = None
        self.error = None
        self.eof = False  # the server ended the response (close or last chunk)
        self.ended = threading.Event()
        self.connected = threading.Event()
        self.last_data = None
        self._stopping = False
        self.sock = None
        self.local_port = None
        self.lock = threading.Lock()

    def stop(self):
        self._stopping = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except Exception:
            pass

    def video_count(self):
        with self.lock:
            return sum(1 for t in self.tags if t[0] == 9 and not t[3])

    def run(self):
        try:
            self._run()
        except (EOFError, ConnectionResetError):
            self.eof = not self._stopping
        except Exception as e:  # recorded for the test to assert on
            if not self._stopping:
                self.error = e
        finally:
            self.ended.set()
            try:
                self.sock.close()
            except Exception:
                pass

    def _recv(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.bytes += len(data)
        self.last_data = time.monotonic()
        return data

    def _run(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.settimeout(self.timeout)
        self.sock.connect(("127.0.0.1", self.port))
        self.local_port = self.sock.getsockname()[1]
        self.sock.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % self.path).encode())
        self.status, self.headers, rest = read_http_head(self.sock, self.timeout)
        self.connected.set()
        if self.status != 200:
            return
        chunked = "chunked" in self.headers.get("transfer-encoding", "").lower()
        body = _ChunkDecoder() if chunked else None
        flv = bytearray()

        def feed(data):
            flv.extend(body.feed(data) if body else data)
            self._parse(flv)

        if rest:
            feed(rest)
        while not self._stopping:
            feed(self._recv())
            if body and body.done:
                raise EOFError("server ended the chunked body")

    def _parse(self, flv):
        if self.header_ok is None:
            if len(flv) < 13:
                return
            self.header_ok = flv[:3] == b"FLV"
            if not self.header_ok:
                raise AssertionError("body does not start with an FLV header: %r" % bytes(flv[:16]))
            del flv[:13]
        while len(flv) >= 11:
            ttype = flv[0] & 0x1F
            size = int.from_bytes(flv[1:4], "big")
            if len(flv) < 11 + size + 4:
                return
            ts = int.from_bytes(flv[4:7], "big") | (flv[7] << 24)
            data = flv[11:11 + size]
            key = ttype == 9 and size > 0 and (data[0] >> 4) == 1
            seq = size > 1 and ((ttype == 9 and (data[0] & 0x0F) == 7 and data[1] == 0) or
                                (ttype == 8 and (data[0] >> 4) == 10 and data[1] == 0))
            with self.lock:
                now = time.monotonic()
                self.tags.append((ttype, ts, key, seq, now))
                if ttype == 18:
                    self.scripts.append((ts, bytes(data), now))
                if ttype == 9 and self.keep_video:
                    self.videos.append((ts, bytes(data)))
            del flv[:11 + size + 4]


def amf0_values(data):
    """Decodes the AMF0 values of a script tag / data message (numbers, booleans,
    strings, objects, ECMA arrays, null); raises ValueError on anything else."""
    pos = 0

    def u16(p):
        return int.from_bytes(data[p:p + 2], "big")

    def string(p):
        n = u16(p)
        if p + 2 + n > len(data):
            raise ValueError("AMF0 string past the end")
        return data[p + 2:p + 2 + n].decode("utf-8"), p + 2 + n

    def props(p):
        out = {}
        while True:
            if p + 3 > len(data):
                raise ValueError("AMF0 object past the end")
            if data[p:p + 3] == b"\x00\x00\x09":
                return out, p + 3
            key, p = string(p)
            out[key], p = value(p)

    def value(p):
        marker = data[p]
        if marker == 0x00:
            return struct.unpack(">d", data[p + 1:p + 9])[0], p + 9
        if marker == 0x01:
            return data[p + 1] != 0, p + 2
        if marker == 0x02:
            return string(p + 1)
        if marker == 0x03:
            return props(p + 1)
        if marker == 0x05:
            return None, p + 1
        if marker == 0x08:
            return props(p + 5)
        raise ValueError("AMF0 marker 0x%02x not handled" % marker)

    values = []
    while pos < len(data):
        v, pos = value(pos)
        values.append(v)
    return values


class _ChunkDecoder:
    def __init__(self):
        self.buf = bytearray()
        self.left = 0  # bytes left in the current chunk (+2 for its CRLF)
        self.done = False

    def feed(self, data):
        self.buf += data
        out = bytearray()
        while self.buf and not self.done:
            if self.left > 0:
                n = min(self.left, len(self.buf))
                take = self.buf[:n]
                del self.buf[:n]
                # the last 2 bytes of each chunk are its CRLF
                payload_left = self.left - 2
                out += take[:max(0, min(n, payload_left))]
                self.left -= n
                continue
            end = self.buf.find(b"\r\n")
            if end < 0:
                break
            size = int(bytes(self.buf[:end]).split(b";")[0], 16)
            del self.buf[:end + 2]
            if size == 0:
                self.done = True
                break
            self.left = size + 2
        return bytes(out)
