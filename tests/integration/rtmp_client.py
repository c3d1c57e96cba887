# Minimal RTMP client for the integration tests: what real clients cannot do
# (hostile input, a viewer that stops reading, precise Play.Start / keyframe timing).
# Owner: integration tests. Single-threaded; one socket per RtmpClient. Stdlib only.
"""Simple handshake, chunk writer (fmt 0 + fmt 3), chunk reader (all fmts,
extended timestamps, SetChunkSize), AMF0 for the types commands use, and
connect/createStream/play/publish helpers."""

import os
import socket
import struct
import time

# Message type ids (RTMP spec 5.4, 7.1).
SET_CHUNK_SIZE = 1
ABORT = 2
ACK = 3
USER_CONTROL = 4
WINDOW_ACK_SIZE = 5
SET_PEER_BANDWIDTH = 6
AUDIO = 8
VIDEO = 9
DATA_AMF3 = 15
COMMAND_AMF3 = 17
DATA_AMF0 = 18
COMMAND_AMF0 = 20

HANDSHAKE_SIZE = 1536


class RtmpError(Exception):
    """Protocol failure or an _error answer (``info`` holds the decoded object)."""

    def __init__(self, message, info=None):
        super().__init__(message)
        self.info = info


class ConnectionClosed(RtmpError):
    pass


# ---------------------------------------------------------------- AMF0

class EcmaArray(dict):
    """An AMF0 ECMA array (type 0x08), e.g. onMetaData."""


class Undefined:
    def __repr__(self):
        return "undefined"


UNDEFINED = Undefined()


def amf0_encode(value):
    if value is None:
        return b"\x05"
    if value is UNDEFINED:
        return b"\x06"
    if isinstance(value, bool):
        return b"\x01" + (b"\x01" if value else b"\x00")
    if isinstance(value, (int, float)):
        return b"\x00" + struct.pack(">d", float(value))
    if isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            return b"\x0c" + struct.pack(">I", len(raw)) + raw
        return b"\x02" + struct.pack(">H", len(raw)) + raw
    if isinstance(value, EcmaArray):
        return b"\x08" + struct.pack(">I", len(value)) + _amf0_props(value)
    if isinstance(value, dict):
        return b"\x03" + _amf0_props(value)
    if isinstance(value, (list, tuple)):
        return b"\x0a" + struct.pack(">I", len(value)) + b"".join(amf0_encode(v) for v in value)
    raise TypeError("AMF0 cannot encode %r" % type(value))


def _amf0_props(d):
    out = []
    for k, v in d.items():
        raw = k.encode("utf-8")
        out.append(struct.pack(">H", len(raw)) + raw + amf0_encode(v))
    out.append(b"\x00\x00\x09")
    return b"".join(out)


def amf0_encode_all(*values):
    return b"".join(amf0_encode(v) for v in values)


class _Reader:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise RtmpError("AMF0: truncated (need %d at %d of %d)" % (n, self.pos, len(self.data)))
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def left(self):
        return len(self.data) - self.pos


def _amf0_value(r):
    marker = r.take(1)[0]
    if marker == 0x00:
        return struct.unpack(">d", r.take(8))[0]
    if marker == 0x01:
        return r.take(1)[0] != 0
    if marker == 0x02:
        n = struct.unpack(">H", r.take(2))[0]
        return r.take(n).decode("utf-8", "replace")
    if marker == 0x0C or marker == 0x0F:
        n = struct.unpack(">I", r.take(4))[0]
        return r.take(n).decode("utf-8", "replace")
    if marker == 0x03:
        return _amf0_obj(r, {})
    if marker == 0x08:
        r.take(4)  # count is advisory; the end marker terminates
        return _amf0_obj(r, EcmaArray())
    if marker == 0x0A:
        n = struct.unpack(">I", r.take(4))[0]
        return [_amf0_value(r) for _ in range(n)]
    if marker == 0x05:
        return None
    if marker == 0x06:
        return UNDEFINED
    if marker == 0x0B:
        ms = struct.unpack(">d", r.take(8))[0]
        r.take(2)
        return ms
    raise RtmpError("AMF0: unsupported marker 0x%02x at %d" % (marker, r.pos - 1))


def _amf0_obj(r, out):
    while True:
        n = struct.unpack(">H", r.take(2))[0]
        if n == 0:
            if r.take(1) != b"\x09":
                raise RtmpError("AMF0: object end marker missing")
            return out
        key = r.take(n).decode("utf-8", "replace")
        out[key] = _amf0_value(r)


def amf0_decode_all(data):
    r = _Reader(data)
    values = []
    while r.left() > 0:
        values.append(_amf0_value(r))
    return values


# ---------------------------------------------------------------- messages

class Message:
    __slots__ = ("csid", "type", "stream_id", "timestamp", "payload", "received_at")

    def __init__(self, csid, mtype, stream_id, timestamp, payload):
        self.csid = csid
        self.type = mtype
        self.stream_id = stream_id
        self.timestamp = timestamp
        self.payload = payload
        self.received_at = time.monotonic()

    def values(self):
        """AMF0 values of a command/data message (AMF3-wrapped AMF0 too)."""
        data = self.payload
        if self.type in (COMMAND_AMF3, DATA_AMF3) and data[:1] == b"\x00":
            data = data[1:]
        return amf0_decode_all(data)

    @property
    def is_command(self):
        return self.type in (COMMAND_AMF0, COMMAND_AMF3)

    @property
    def is_video_keyframe(self):
        return self.type == VIDEO and len(self.payload) >= 1 and (self.payload[0] >> 4) == 1

    @property
    def is_video_seq_header(self):
        return self.type == VIDEO and len(self.payload) >= 2 and (self.payload[0] & 0x0F) == 7 \
            and self.payload[1] == 0

    @property
    def is_audio_seq_header(self):
        return self.type == AUDIO and len(self.payload) >= 2 and (self.payload[0] >> 4) == 10 \
            and self.payload[1] == 0

    def __repr__(self):
        return "Message(type=%d csid=%d sid=%d ts=%d len=%d)" % (
            self.type, self.csid, self.stream_id, self.timestamp, len(self.payload))


class _ChunkStream:
    __slots__ = ("timestamp", "delta", "length", "type", "stream_id", "ext", "buf")

    def __init__(self):
        self.timestamp = 0
        self.delta = 0
        self.length = 0
        self.type = 0
        self.stream_id = 0
        self.ext = False
        self.buf = None  # bytearray while a message is being assembled


class RtmpClient:
    """One RTMP connection. All reads are bounded by ``timeout`` seconds."""

    def __init__(self, host, port, timeout=10.0, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.local_port = self.sock.getsockname()[1]
        self.in_chunk_size = 128
        self.out_chunk_size = 128
        self.window = 0
        self.received_bytes = 0
        self.last_ack = 0
        self.streams = {}
        self.rbuf = bytearray()
        self.txn = 1
        self.history = []   # every message read, in order (bounded)
        self.statuses = []  # every onStatus info object seen

    # ------------------------------------------------------------ raw I/O

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        self.sock.sendall(data)

    def _fill(self, n, deadline):
        while len(self.rbuf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise socket.timeout("RTMP read timed out (have %d, need %d)" % (len(self.rbuf), n))
            self.sock.settimeout(min(left, self.timeout))
            try:
                data = self.sock.recv(65536)
            except ConnectionResetError as e:
                raise ConnectionClosed("connection reset by server") from e
            if not data:
                raise ConnectionClosed("connection closed by server")
            self.rbuf += data
            self.received_bytes += len(data)

    def _take(self, n, deadline):
        self._fill(n, deadline)
        out = bytes(self.rbuf[:n])
        del self.rbuf[:n]
        return out

    def wait_closed(self, timeout):
        """True when the server closes (EOF/reset) within timeout; discards data."""
        deadline = time.monotonic() + timeout
        self.rbuf.clear()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not data:
                return True

    # ------------------------------------------------------------ handshake

    def handshake(self):
        deadline = time.monotonic() + self.timeout
        c1 = struct.pack(">II", 0, 0) + os.urandom(HANDSHAKE_SIZE - 8)
        self.send_raw(b"\x03" + c1)
        s0 = self._take(1, deadline)
        if s0 != b"\x03":
            raise RtmpError("handshake: S0 version %r" % s0)
        s1 = self._take(HANDSHAKE_SIZE, deadline)
        s2 = self._take(HANDSHAKE_SIZE, deadline)
        self.send_raw(s1)  # C2 echoes S1
        return s1, s2

    # ------------------------------------------------------------ chunk writer

    @staticmethod
    def _basic_header(fmt, csid):
        if 2 <= csid <= 63:
            return bytes([(fmt << 6) | csid])
        if csid < 64 + 256:
            return bytes([fmt << 6, csid - 64])
        v = csid - 64
        return bytes([(fmt << 6) | 1, v & 0xFF, v >> 8])

    def encode_message(self, csid, mtype, stream_id, payload, timestamp=0, length=None):
        """fmt 0 header then fmt 3 continuation chunks. ``length`` may lie (tests)."""
        ext = timestamp >= 0xFFFFFF
        ts_field = 0xFFFFFF if ext else timestamp
        length = len(payload) if length is None else length
        out = bytearray(self._basic_header(0, csid))
        out += struct.pack(">I", ts_field)[1:] + struct.pack(">I", length)[1:]
        out += bytes([mtype]) + struct.pack("<I", stream_id)
        if ext:
            out += struct.pack(">I", timestamp & 0xFFFFFFFF)
        pos = 0
        while True:
            piece = payload[pos:pos + self.out_chunk_size]
            out += piece
            pos += len(piece)
            if pos >= len(payload):
                break
            out += self._basic_header(3, csid)
            if ext:
                out += struct.pack(">I", timestamp & 0xFFFFFFFF)
        return bytes(out)

    def send_message(self, csid, mtype, stream_id, payload, timestamp=0):
        self.send_raw(self.encode_message(csid, mtype, stream_id, payload, timestamp))

    def send_set_chunk_size(self, size, apply=True):
        self.send_message(2, SET_CHUNK_SIZE, 0, struct.pack(">I", size & 0xFFFFFFFF))
        if apply and 1 <= size <= 0x7FFFFFFF:
            self.out_chunk_size = size

    def send_command(self, name, txn, *args, stream_id=0, csid=3):
        self.send_message(csid, COMMAND_AMF0, stream_id, amf0_encode_all(name, txn, *args))

    # ------------------------------------------------------------ chunk reader

    def read_message(self, timeout=None):
        """Next complete message; applies SetChunkSize/ack window, answers pings."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self._read_chunk(deadline)
            if msg is None:
                continue
            self._on_control(msg)
            if len(self.history) < 20000:
                self.history.append(msg)
            return msg

    def _read_chunk(self, deadline):
        b0 = self._take(1, deadline)[0]
        fmt, csid = b0 >> 6, b0 & 0x3F
        if csid == 0:
            csid = 64 + self._take(1, deadline)[0]
        elif csid == 1:
            b = self._take(2, deadline)
            csid = 64 + b[0] + (b[1] << 8)
        cs = self.streams.setdefault(csid, _ChunkStream())
        if fmt <= 2:
            hdr = self._take((11, 7, 3)[fmt], deadline)
            ts = int.from_bytes(hdr[0:3], "big")
            if fmt <= 1:
                cs.length = int.from_bytes(hdr[3:6], "big")
                cs.type = hdr[6]
            if fmt == 0:
                cs.stream_id = struct.unpack("<I", hdr[7:11])[0]
            cs.ext = ts == 0xFFFFFF
            if cs.ext:
                ts = struct.unpack(">I", self._take(4, deadline))[0]
            if fmt == 0:
                cs.timestamp, cs.delta = ts, 0
            else:
                cs.delta = ts
                cs.timestamp = (cs.timestamp + ts) & 0xFFFFFFFF
            if cs.buf:
                raise RtmpError("chunk stream %d: new header inside a message" % csid)
            cs.buf = bytearray()
        else:
            if cs.ext:
                self._take(4, deadline)
            if cs.buf is None:  # fmt 3 starting a new message: repeat the delta
                cs.timestamp = (cs.timestamp + cs.delta) & 0xFFFFFFFF
                cs.buf = bytearray()
        need = min(self.in_chunk_size, cs.length - len(cs.buf))
        cs.buf += self._take(need, deadline)
        if len(cs.buf) < cs.length:
            return None
        msg = Message(csid, cs.type, cs.stream_id, cs.timestamp, bytes(cs.buf))
        cs.buf = None
        return msg

    def _on_control(self, msg):
        if msg.type == SET_CHUNK_SIZE and len(msg.payload) >= 4:
            size = struct.unpack(">I", msg.payload[:4])[0] & 0x7FFFFFFF
            if size == 0:
                raise RtmpError("server sent SetChunkSize 0")
            self.in_chunk_size = size
        elif msg.type == WINDOW_ACK_SIZE and len(msg.payload) >= 4:
            self.window = struct.unpack(">I", msg.payload[:4])[0]
        elif msg.type == USER_CONTROL and len(msg.payload) >= 6:
            event = struct.unpack(">H", msg.payload[:2])[0]
            if event == 6:  # PingRequest -> PingResponse
                self.send_message(2, USER_CONTROL, 0, struct.pack(">H", 7) + msg.payload[2:6])
        elif msg.is_command:
            vals = msg.values()
            if vals and vals[0] == "onStatus" and len(vals) >= 4 and isinstance(vals[3], dict):
                self.statuses.append(vals[3])
        if self.window and self.received_bytes - self.last_ack >= self.window // 2:
            self.last_ack = self.received_bytes
            self.send_message(2, ACK, 0, struct.pack(">I", self.received_bytes & 0xFFFFFFFF))

    # ------------------------------------------------------------ commands

    def next_txn(self):
        self.txn += 1
        return self.txn

    def wait_result(self, txn, timeout=None):
        """Wait for _result/_error of txn. Returns the values; raises on _error."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self.read_message(max(0.01, deadline - time.monotonic()))
            if not msg.is_command:
                continue
            vals = msg.values()
            if len(vals) >= 2 and vals[0] in ("_result", "_error") and vals[1] == txn:
                if vals[0] == "_error":
                    raise RtmpError("_error for transaction %s: %r" % (txn, vals[2:]),
                                    vals[3] if len(vals) > 3 else None)
                return vals

    def connect(self, app="live", tc_url=None, port=None, extra=None):
        tc_url = tc_url or "rtmp://127.0.0.1:%d/%s" % (port or self.sock.getpeername()[1], app)
        obj = {"app": app, "flashVer": "FMLE/3.0 (compatible; roomcast-tests)", "tcUrl": tc_url,
               "fpad": False, "capabilities": 15.0, "audioCodecs": 4071.0,
               "videoCodecs": 252.0, "videoFunction": 1.0}
        if extra:
            obj.update(extra)
        self.send_command("connect", 1, obj)
        vals = self.wait_result(1)
        return vals[3] if len(vals) > 3 else None

    def create_stream(self):
        txn = self.next_txn()
        self.send_command("createStream", txn, None)
        vals = self.wait_result(txn)
        return int(vals[3])

    def play(self, name, stream_id, start=-2):
        # SetBufferLength (user control 3) the way players send it.
        self.send_message(2, USER_CONTROL, 0, struct.pack(">HII", 3, stream_id, 1000))
        self.send_command("play", 0, None, name, float(start), stream_id=stream_id, csid=8)

    def publish(self, name, stream_id, kind="live"):
        self.send_command("publish", 0, None, name, kind, stream_id=stream_id, csid=8)

    def wait_status(self, codes=None, timeout=None):
        """Read until an onStatus whose code is in codes (any if None). Returns its
        info dict. Raises ConnectionClosed / socket.timeout otherwise."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            msg = self.read_message(max(0.01, deadline - time.monotonic()))
            if not msg.is_command:
                continue
            vals = msg.values()
            if vals and vals[0] == "onStatus" and len(vals) >= 4 and isinstance(vals[3], dict):
                code = vals[3].get("code")
                if codes is None or code in codes:
                    return vals[3]

    # ------------------------------------------------------------ shortcuts

    def setup(self, app="live"):
        """handshake + connect + createStream; returns the stream id."""
        self.handshake()
        self.connect(app)
        return self.create_stream()

