# Room test helpers: a stdlib WebSocket client for /ws (threaded reader), the
# TLSSigAPIv2 UserSig generator/decoder, and the /api/v1 HTTP client.
# Owner: integration tests. Thread: test thread; one reader thread per WsClient.
"""Stdlib only (the ctest Python may lack the `websockets` package).

WsClient keeps every received event in order; request() sends a command with an
id and waits for the reply carrying that id; wait_for() waits for an event
matching a predicate. Raw frame helpers allow malformed/hostile frames."""

import base64
import hashlib
import hmac
import http.client
import json
import os
import socket
import struct
import threading
import time
import urllib.parse
import zlib

# ------------------------------------------------------------------ UserSig

SIG_TRANS = str.maketrans("+/=", "*-_")
SIG_UNTRANS = str.maketrans("*-_", "+/=")


def sig_hmac(key, identifier, app_id, t, expire):
    """base64(HMAC-SHA256(key, content)) of TLSSigAPIv2."""
    content = "TLS.identifier:%s\nTLS.sdkappid:%d\nTLS.time:%d\nTLS.expire:%d\n" % (
        identifier, int(app_id), int(t), int(expire))
    mac = hmac.new(key.encode(), content.encode(), hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def encode_sig_doc(doc):
    """The UserSig text of a JSON document (zlib deflate, base64, '*' '-' '_')."""
    raw = zlib.compress(json.dumps(doc, separators=(",", ":")).encode())
    return base64.b64encode(raw).decode().translate(SIG_TRANS)


def decode_sig(sig):
    return json.loads(zlib.decompress(base64.b64decode(sig.translate(SIG_UNTRANS))))


def user_sig(app_id, key, identifier, expire=180 * 86400, now=None):
    t = int(time.time()) if now is None else int(now)
    doc = {"TLS.ver": "2.0", "TLS.identifier": identifier, "TLS.sdkappid": int(app_id),
           "TLS.time": t, "TLS.expire": int(expire),
           "TLS.sig": sig_hmac(key, identifier, app_id, t, expire)}
    return encode_sig_doc(doc)


def tampered_sig(app_id, key, identifier):
    """A well-formed UserSig whose signature is wrong (one bit of the MAC flipped)."""
    doc = decode_sig(user_sig(app_id, key, identifier))
    mac = bytearray(base64.b64decode(doc["TLS.sig"]))
    mac[0] ^= 0x01
    doc["TLS.sig"] = base64.b64encode(bytes(mac)).decode()
    return encode_sig_doc(doc)


# ------------------------------------------------------------------ HTTP API

class Api:
    """JSON calls to the server's /api/v1 with optional admin credentials."""

    def __init__(self, port, app_id, key, admin="administrator"):
        self.port, self.app_id, self.key, self.admin = port, app_id, key, admin

    def auth_query(self, identifier=None, sig=None):
        identifier = identifier or self.admin
        sig = sig if sig is not None else user_sig(self.app_id, self.key, identifier)
        return "identifier=%s&usersig=%s" % (urllib.parse.quote(identifier),
                                              urllib.parse.quote(sig, safe=""))

    def call(self, method, path, body=None, auth=True, query=None, timeout=10):
        """(HTTP status, parsed JSON or raw text). auth: True = admin sig, False =
        none, or a ready query string."""
        q = []
        if auth is True:
            q.append(self.auth_query())
        elif auth:
            q.append(auth)
        if query:
            q.append(query)
        url = path + ("?" + "&".join(q) if q else "")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            data = None if body is None else (
                body if isinstance(body, (bytes, str)) else json.dumps(body))
            headers = {"Content-Type": "application/json"} if data is not None else {}
            conn.request(method, url, body=data, headers=headers)
            r = conn.getresponse()
            raw = r.read()
        finally:
            conn.close()
        text = raw.decode("utf-8", "replace")
        try:
            return r.status, json.loads(text) if text else None
        except ValueError:
            return r.status, text

    def ok(self, method, path, body=None, auth=True, query=None, expect=(200, 201)):
        status, js = self.call(method, path, body, auth, query)
        if status not in expect:
            raise AssertionError("%s %s -> %s %r (expected %s)" % (method, path, status, js,
                                                                  expect))
        return js

    def create_room(self, room_id, **fields):
        body = dict(fields)
        body["id"] = room_id
        return self.ok("POST", "/api/v1/rooms", body, expect=(201,))

    def room(self, room_id):
        return self.ok("GET", "/api/v1/rooms/" + room_id, auth=False, expect=(200,))

    def rooms(self):
        return self.ok("GET", "/api/v1/rooms", auth=False, expect=(200,))["rooms"]

    def patch_room(self, room_id, **fields):
        return self.ok("PATCH", "/api/v1/rooms/" + room_id, fields, expect=(200,))

    def session(self, timeout=10):
        return ApiSession(self, timeout)


class ApiSession:
    """One keep-alive HTTP connection for many API calls in a row (a fast sender).
    A call is never retried (a POST could be applied twice); close() when done."""

    def __init__(self, api, timeout=10):
        self.api = api
        self.conn = http.client.HTTPConnection("127.0.0.1", api.port, timeout=timeout)
        self.auth = api.auth_query()  # one admin sig for the whole session

    def call(self, method, path, body=None, auth=True):
        """(HTTP status, parsed JSON or raw text, seconds the call took)."""
        url = path + ("?" + self.auth if auth else "")
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else {}
        t0 = time.monotonic()
        self.conn.request(method, url, body=data, headers=headers)
        r = self.conn.getresponse()
        raw = r.read()
        took = time.monotonic() - t0
        if r.will_close:
            self.conn.close()  # http.client reconnects on the next request
        text = raw.decode("utf-8", "replace")
        try:
            return r.status, json.loads(text) if text else None, took
        except ValueError:
            return r.status, text, took

    def close(self):
        self.conn.close()


# ------------------------------------------------------------------ WebSocket

class ConnectionClosed(Exception):
    pass


OP_CONT, OP_TEXT, OP_BIN, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


def _recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionClosed("eof")
        buf += chunk
    return bytes(buf)


class WsClient:
    """One WebSocket to ws://127.0.0.1:port/ws. Use as a context manager."""

    def __init__(self, port, name="ws", path="/ws", timeout=5, auto_pong=True, rcvbuf=None):
        self.port, self.name, self.path, self.timeout = port, name, path, timeout
        self.auto_pong = auto_pong
        self.rcvbuf = rcvbuf         # SO_RCVBUF set before connect (a small window)
        self.reading = threading.Event()  # cleared by pause_reading()
        self.reading.set()
        self.pings = 0               # pings received from the server
        self.sock = None
        self.events = []             # every parsed JSON object received, in order
        self.recv_times = []         # monotonic receive time of each event
        self.bad_frames = []         # text frames that were not one JSON object
        self.close_code = None       # code of the server's close frame (or -1 on EOF)
        self.close_reason = ""
        self.closed = threading.Event()
        self.cond = threading.Condition()
        self.send_lock = threading.Lock()
        self.next_id = 1
        self.user = None
        self.reader = None

    # -- lifecycle
    def connect(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.rcvbuf:
            # NOTE: before connect, so the window scale and the advertised window stay small.
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        self.sock.settimeout(self.timeout)
        self.sock.connect(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (self.path, self.port, key))
        self.sock.sendall(req.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            c = self.sock.recv(1)
            if not c:
                raise AssertionError("%s: connection closed during the handshake: %r" % (
                    self.name, head))
            head += c
            if len(head) > 16384:
                raise AssertionError("%s: handshake response too long" % self.name)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            raise AssertionError("%s: handshake refused: %r" % (self.name, head[:500]))
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        want = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if hdrs.get("sec-websocket-accept") != want:
            raise AssertionError("%s: bad Sec-WebSocket-Accept %r" % (
                self.name, hdrs.get("sec-websocket-accept")))
        self.sock.settimeout(None)
        self.reader = threading.Thread(target=self._read_loop, name=self.name, daemon=True)
        self.reader.start()
        return self

    def __enter__(self):
        return self.connect() if self.sock is None else self

    def __exit__(self, *exc):
        self.close()
        return False

    def close(self):
        if self.sock is None:
            return
        if not self.closed.is_set():
            try:
                self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
            except OSError:
                pass
            self.closed.wait(1)
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.reading.set()  # a paused reader wakes up to the closed socket
        if self.reader:
            self.reader.join(2)

    # -- frames out
    def send_frame(self, opcode, payload, fin=True, mask=True):
        if isinstance(payload, str):
            payload = payload.encode()
        b0 = (0x80 if fin else 0) | opcode
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head = struct.pack("!BB", b0, mbit | n)
        elif n < 65536:
            head = struct.pack("!BBH", b0, mbit | 126, n)
        else:
            head = struct.pack("!BBQ", b0, mbit | 127, n)
        if mask:
            mk = os.urandom(4)
            body = bytes(b ^ mk[i & 3] for i, b in enumerate(payload))
            data = head + mk + body
        else:
            data = head + payload
        with self.send_lock:
            self.sock.sendall(data)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text)

    def send_many(self, objs):
        """Send many JSON text frames in one write (a flood that arrives at once)."""
        data = bytearray()
        for obj in objs:
            payload = json.dumps(obj).encode()
            mk = os.urandom(4)
            n = len(payload)
            head = struct.pack("!BB", 0x81, 0x80 | n) if n < 126 else struct.pack(
                "!BBH", 0x81, 0x80 | 126, n)
            data += head + mk + bytes(b ^ mk[i & 3] for i, b in enumerate(payload))
        with self.send_lock:
            self.sock.sendall(bytes(data))

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    # -- frames in
    def pause_reading(self):
        """The reader stops before its next frame (it may finish the frame it is in)."""
        self.reading.clear()

    def resume_reading(self):
        self.reading.set()

    def local_port(self):
        return self.sock.getsockname()[1]

    def _read_frame(self):
        self.reading.wait()
        b0, b1 = _recv_exact(self.sock, 2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", _recv_exact(self.sock, 2))[0]
        elif n == 127:
            n = struct.unpack("!Q", _recv_exact(self.sock, 8))[0]
        mk = _recv_exact(self.sock, 4) if b1 & 0x80 else None
        payload = _recv_exact(self.sock, n) if n else b""
        if mk:
            payload = bytes(b ^ mk[i & 3] for i, b in enumerate(payload))
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def _read_loop(self):
        frag_op, frag = None, b""
        try:
            while True:
                fin, op, payload = self._read_frame()
                if op == OP_PING:
                    self.pings += 1
                    if self.auto_pong:
                        self.send_frame(OP_PONG, payload)
                    continue
                if op == OP_PONG:
                    continue
                if op == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    self.close_reason = payload[2:].decode("utf-8", "replace")
                    self._set_closed(code)
                    try:
                        self.send_frame(OP_CLOSE, payload[:2])
                    except OSError:
                        pass
                    return
                if op == OP_CONT:
                    frag += payload
                    if not fin:
                        continue
                    op, payload, frag_op, frag = frag_op, frag, None, b""
                elif not fin:
                    frag_op, frag = op, payload
                    continue
                self._deliver(op, payload)
        except (ConnectionClosed, OSError):
            self._set_closed(-1)

    def _deliver(self, op, payload):
        try:
            obj = json.loads(payload.decode("utf-8"))
            if not isinstance(obj, dict):
                raise ValueError("not an object")
        except ValueError:
            with self.cond:
                self.bad_frames.append((op, payload[:200]))
                self.cond.notify_all()
            return
        with self.cond:
            self.events.append(obj)
            self.recv_times.append(time.monotonic())
            self.cond.notify_all()

    def _set_closed(self, code):
        with self.cond:
            if self.close_code is None:
                self.close_code = code
            self.closed.set()
            self.cond.notify_all()

    # -- waiting
    def wait_for(self, pred, timeout=5, what="event", start=0):
        """The first event at index >= start matching pred; raises on timeout/close."""
        return self.events[self.wait_index(pred, timeout, what, start)]

    def wait_index(self, pred, timeout=5, what="event", start=0):
        """The index of the first event at index >= start matching pred."""
        deadline = time.monotonic() + timeout
        with self.cond:
            i = start
            while True:
                while i < len(self.events):
                    if pred(self.events[i]):
                        return i
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError("%s: timed out after %.1fs waiting for %s; last events: %s"
                                         % (self.name, timeout, what, self.events[-5:]))
                if self.closed.is_set():
                    raise AssertionError("%s: closed (code %s %r) while waiting for %s" % (
                        self.name, self.close_code, self.close_reason, what))
                self.cond.wait(min(left, 0.2))

    def wait_count(self, pred, n, timeout=5, what="events"):
        """Wait until at least n events match pred; returns them."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                got = [e for e in self.events if pred(e)]
                if len(got) >= n:
                    return got
                left = deadline - time.monotonic()
                if left <= 0 or self.closed.is_set():
                    raise AssertionError("%s: %d of %d %s after %.1fs (closed=%s code=%s)" % (
                        self.name, len(got), n, what, timeout, self.closed.is_set(),
                        self.close_code))
                self.cond.wait(min(left, 0.2))

    def wait_closed(self, timeout=5):
        if not self.closed.wait(timeout):
            raise AssertionError("%s: not closed within %ss" % (self.name, timeout))
        return self.close_code

    def snapshot(self, pred=None):
        with self.cond:
            return [e for e in self.events if pred is None or pred(e)]

    def mark(self):
        with self.cond:
            return len(self.events)

    # -- requests
    def send_cmd(self, cmd, **fields):
        """Send a request with a fresh id; returns the id."""
        with self.cond:
            rid = self.next_id
            self.next_id += 1
        obj = {"cmd": cmd, "id": rid}
        obj.update(fields)
        self.send_json(obj)
        return rid

    def reply_to(self, rid, timeout=5):
        return self.wait_for(lambda e: e.get("event") == "reply" and e.get("id") == rid,
                             timeout, "reply to request %s" % rid)

    def request(self, cmd, timeout=5, **fields):
        return self.reply_to(self.send_cmd(cmd, **fields), timeout)

    def login(self, user, sig, **extra):
        r = self.request("login", user=user, usersig=sig, **extra)
        if r.get("code") == 0:
            self.user = user
        return r

    def messages(self, room=None):
        return self.snapshot(lambda e: e.get("event") == "message" and (
            room is None or e.get("room") == room))


def ok(reply, what=""):
    if reply.get("code") != 0:
        raise AssertionError("%s failed: %r" % (what or reply.get("cmd"), reply))
    return reply
