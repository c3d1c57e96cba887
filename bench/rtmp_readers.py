#!/usr/bin/env python3
"""rtmp_readers.py: N RTMP players in one Python process, written apart from roomcast.

An independent load client for bench/run-bench (`--client python`): it shares no code
with roomcast or roomcast_load (its own handshake, chunk parser and AMF0), so a result
that holds with both clients is not an artefact of our own client. Each player does a
simple handshake, connect, createStream and play; it parses the chunk stream until
NetStream.Play.Start, then only counts bytes (and acknowledges each window, RTMP 1.0
§5.4.3), as a player that hands the bytes to a demuxer in another thread would.

Reader modes:
  eager    recv() as soon as the socket is readable (64 KiB at a time);
  batched  once playing, SO_RCVLOWAT = --lowat (32 KiB): the socket wakes the player
           only when that much is waiting, as players with big buffers read.

Prints a summary and `RESULT {json}` (the keys run-bench reads from roomcast_load).
Python 3 standard library only; one thread (selectors/epoll).
"""

import argparse
import json
import os
import random
import resource
import selectors
import socket
import struct
import sys
import time
import urllib.parse

HANDSHAKE_SIZE = 1536
DEFAULT_CHUNK = 128
STEADY_AFTER_S = 2.0  # the bitrate window starts this long after the last player started


# --- AMF0, just what the replies need ------------------------------------------------

def amf_encode(v):
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        out = b"\x03"
        for k, val in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf_encode(val)
        return out + b"\x00\x00\x09"
    raise TypeError(type(v))


def amf_decode(buf, pos=0, depth=0):
    """One value at pos -> (value, new pos). Raises ValueError on bad input."""
    if pos >= len(buf) or depth > 32:
        raise ValueError("amf: truncated")
    t = buf[pos]
    pos += 1
    if t == 0x00:
        return struct.unpack_from(">d", buf, pos)[0], pos + 8
    if t == 0x01:
        return buf[pos] != 0, pos + 1
    if t == 0x02:
        n = struct.unpack_from(">H", buf, pos)[0]
        return buf[pos + 2:pos + 2 + n].decode(errors="replace"), pos + 2 + n
    if t in (0x05, 0x06):
        return None, pos
    if t in (0x03, 0x08):
        if t == 0x08:
            pos += 4  # ECMA array: approximate count
        obj = {}
        while True:
            n = struct.unpack_from(">H", buf, pos)[0]
            pos += 2
            if n == 0 and buf[pos] == 0x09:
                return obj, pos + 1
            key = buf[pos:pos + n].decode(errors="replace")
            obj[key], pos = amf_decode(buf, pos + n, depth + 1)
    if t == 0x0A:
        n = struct.unpack_from(">I", buf, pos)[0]
        pos += 4
        arr = []
        for _ in range(n):
            v, pos = amf_decode(buf, pos, depth + 1)
            arr.append(v)
        return arr, pos
    raise ValueError(f"amf: marker {t}")


def amf_decode_all(buf):
    out, pos = [], 0
    while pos < len(buf):
        v, pos = amf_decode(buf, pos)
        out.append(v)
    return out


def chunk_message(csid, mtype, stream_id, payload, chunk_size=DEFAULT_CHUNK):
    """fmt 0 on the first chunk, fmt 3 on the continuations (csid < 64)."""
    out = bytearray([csid & 0x3F])
    out += struct.pack(">I", 0)[1:] + struct.pack(">I", len(payload))[1:] + bytes([mtype])
    out += struct.pack("<I", stream_id)
    for i in range(0, len(payload), chunk_size):
        if i:
            out.append(0xC0 | (csid & 0x3F))
        out += payload[i:i + chunk_size]
    return bytes(out)


class Player:
    """One RTMP player: connect, handshake, commands, then counting bytes."""

    def __init__(self, idx, args, target):
        self.idx, self.args, self.t = idx, args, target
        self.sock = None
        self.state = "idle"
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.chunk_size = DEFAULT_CHUNK
        self.streams = {}  # csid -> [ts, length, type, stream_id, partial bytearray]
        self.window = 0  # server's Window Acknowledgement Size
        self.received = 0
        self.acked = 0
        self.bytes_at_window = 0
        self.start_t = self.play_t = self.end_t = None
        self.error = ""

    # --- socket plumbing ---
    def start(self, sel):
        self.start_t = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.connect_ex((self.t["host"], self.t["port"]))
        self.state = "connecting"
        sel.register(self.sock, selectors.EVENT_WRITE, self)

    def send(self, sel, data):
        self.outbuf += data
        self.flush(sel)

    def flush(self, sel):
        if self.outbuf:
            try:
                n = self.sock.send(self.outbuf)
                del self.outbuf[:n]
            except BlockingIOError:
                pass
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.outbuf else 0)
        sel.modify(self.sock, events, self)

    def fail(self, sel, reason):
        if self.end_t is None:
            self.end_t = time.monotonic()
            self.error = reason
        self.close(sel)

    def close(self, sel):
        if self.sock is not None:
            try:
                sel.unregister(self.sock)
            except (KeyError, ValueError):
                pass
            self.sock.close()
            self.sock = None

    def on_event(self, sel, mask):
        if self.state == "connecting":
            err = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return self.fail(sel, f"connect: {os.strerror(err)}")
            self.state = "handshake"
            c1 = struct.pack(">II", 0, 0) + random.randbytes(HANDSHAKE_SIZE - 8)
            return self.send(sel, b"\x03" + c1)
        if mask & selectors.EVENT_WRITE:
            self.flush(sel)
        if mask & selectors.EVENT_READ:
            self.on_readable(sel)

    def on_readable(self, sel):
        try:
            data = self.sock.recv(self.args.recv_size)
        except BlockingIOError:
            return
        except OSError as e:
            return self.fail(sel, f"recv: {e}")
        if not data:
            return self.fail(sel, "peer closed the connection")
        self.received += len(data)
        if self.state == "playing":
            return self.maybe_ack(sel)
        self.inbuf += data
        if self.state == "handshake":
            if len(self.inbuf) < 1 + 2 * HANDSHAKE_SIZE:
                return
            s1 = bytes(self.inbuf[1:1 + HANDSHAKE_SIZE])
            del self.inbuf[:1 + 2 * HANDSHAKE_SIZE]
            self.state = "commands"
            self.send(sel, s1)  # C2 echoes S1
            self.send_command(sel, 0, ["connect", 1, {
                "app": self.t["app"], "type": "nonprivate", "flashVer": "LNX 9,0,124,2",
                "tcUrl": self.t["tc_url"], "fpad": False, "capabilities": 15,
                "audioCodecs": 4071, "videoCodecs": 252, "videoFunction": 1}])
        try:
            self.parse_chunks(sel)
        except (ValueError, struct.error, IndexError) as e:
            return self.fail(sel, f"chunk stream: {e}")
        self.maybe_ack(sel)

    def maybe_ack(self, sel):
        if self.window and self.received - self.acked >= self.window:
            self.acked = self.received
            self.send(sel, chunk_message(2, 3, 0, struct.pack(">I", self.acked & 0xFFFFFFFF)))

    def send_command(self, sel, stream_id, values):
        payload = b"".join(amf_encode(v) for v in values)
        self.send(sel, chunk_message(3 if stream_id == 0 else 8, 20, stream_id, payload))

    # --- the chunk stream, until Play.Start ---
    def parse_chunks(self, sel):
        buf = self.inbuf
        while self.state == "commands" and buf:
            fmt, csid = buf[0] >> 6, buf[0] & 0x3F
            pos = 1
            if csid == 0:
                if len(buf) < 2:
                    return
                csid, pos = 64 + buf[1], 2
            elif csid == 1:
                if len(buf) < 3:
                    return
                csid, pos = 64 + buf[1] + 256 * buf[2], 3
            hlen = (11, 7, 3, 0)[fmt]
            if len(buf) < pos + hlen:
                return
            st = self.streams.setdefault(csid, [0, 0, 0, 0, None])
            ts_field = None
            if fmt <= 2:
                ts_field = int.from_bytes(buf[pos:pos + 3], "big")
            if fmt <= 1:
                st[1] = int.from_bytes(buf[pos + 3:pos + 6], "big")
                st[2] = buf[pos + 6]
            if fmt == 0:
                st[3] = int.from_bytes(buf[pos + 7:pos + 11], "little")
            pos += hlen
            if ts_field == 0xFFFFFF or (fmt == 3 and st[0] >= 0xFFFFFF):
                if len(buf) < pos + 4:
                    return
                pos += 4
            if st[4] is None:
                st[4] = bytearray()
            take = min(self.chunk_size, st[1] - len(st[4]))
            if len(buf) < pos + take:
                return
            st[4] += buf[pos:pos + take]
            if ts_field is not None:
                st[0] = ts_field
            del buf[:pos + take]
            if len(st[4]) >= st[1]:
                payload, st[4] = bytes(st[4]), None
                self.on_message(sel, st[2], payload)
        if self.state == "playing":
            buf.clear()

    def on_message(self, sel, mtype, payload):
        if mtype == 1 and len(payload) >= 4:
            self.chunk_size = struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF
        elif mtype == 5 and len(payload) >= 4:
            self.window = struct.unpack(">I", payload[:4])[0]
        elif mtype == 20:
            values = amf_decode_all(payload)
            name = values[0] if values else ""
            txn = values[1] if len(values) > 1 else 0
            if name == "_result" and txn == 1:
                self.send_command(sel, 0, ["createStream", 2, None])
            elif name == "_result" and txn == 2:
                sid = int(values[3]) if len(values) > 3 and isinstance(values[3], float) else 1
                self.send_command(sel, sid, ["play", 0, None, self.t["name"], -2])
            elif name == "_error":
                self.fail(sel, f"command refused: {values[3] if len(values) > 3 else ''}")
            elif name == "onStatus" and len(values) > 3 and isinstance(values[3], dict):
                code = values[3].get("code", "")
                if code == "NetStream.Play.Start":
                    self.on_play_start()
                elif values[3].get("level") == "error":
                    self.fail(sel, f"play refused: {code}")

    def on_play_start(self):
        self.state = "playing"
        self.play_t = time.monotonic()
        if self.args.reader == "batched":
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, self.args.lowat)


def parse_url(url):
    u = urllib.parse.urlparse(url)
    if u.scheme != "rtmp" or not u.hostname:
        sys.exit(f"rtmp_readers: not an rtmp:// url: {url}")
    app, _, name = u.path.lstrip("/").partition("/")
    port = u.port or 1935
    return {"host": u.hostname, "port": port, "app": app, "name": name,
            "tc_url": f"rtmp://{u.hostname}:{port}/{app}"}


def dist(values):
    if not values:
        return {"min": 0, "p50": 0, "p95": 0, "max": 0, "n": 0}
    v = sorted(values)
    rank = lambda q: v[min(len(v) - 1, max(0, int(q * len(v) + 0.999999) - 1))]
    return {"min": v[0], "p50": rank(0.5), "p95": rank(0.95), "max": v[-1], "n": len(v)}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--viewers", type=int, default=1)
    p.add_argument("--duration", type=float, default=10)
    p.add_argument("--ramp-ms", type=float, default=2)
    p.add_argument("--reader", choices=("eager", "batched"), default="eager")
    p.add_argument("--lowat", type=int, default=32 * 1024)
    args = p.parse_args()
    args.recv_size = 64 * 1024 if args.reader == "eager" else 256 * 1024
    target = parse_url(args.url)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < args.viewers + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.viewers + 64), hard))

    sel = selectors.DefaultSelector()
    players = [Player(i, args, target) for i in range(args.viewers)]
    cpu0 = time.process_time()
    t0 = time.monotonic()
    end = t0 + args.duration
    started, last_start, window_t = 0, None, None
    while True:
        now = time.monotonic()
        if now >= end:
            break
        due = args.viewers if args.ramp_ms <= 0 else \
            min(args.viewers, int((now - t0) * 1000 / args.ramp_ms) + 1)
        while started < due:
            players[started].start(sel)
            started += 1
        if started == args.viewers and last_start is None:
            last_start = now
        if window_t is None and last_start is not None and now - last_start >= STEADY_AFTER_S:
            window_t = now
            for pl in players:
                pl.bytes_at_window = pl.received
        timeout = end - now
        if started < args.viewers:
            timeout = min(timeout, args.ramp_ms / 1000)
        if window_t is None:
            timeout = min(timeout, 0.1)
        for key, mask in sel.select(timeout=max(0.0, timeout)):
            key.data.on_event(sel, mask)
    t_end = time.monotonic()
    cpu = time.process_time() - cpu0
    for pl in players:
        pl.close(sel)

    played = sum(1 for pl in players if pl.play_t is not None)
    early = [pl for pl in players if pl.end_t is not None]
    span = (t_end - window_t) if window_t else 0
    kbps = [8 * (pl.received - pl.bytes_at_window) / span / 1000 for pl in players
            if span > 0 and pl.play_t is not None]
    got = sum(1 for pl in players if pl.play_t is not None and pl.received > pl.bytes_at_window)
    total = sum(pl.received for pl in players)
    reasons = {}
    for pl in players:
        if pl.error:
            reasons[pl.error] = reasons.get(pl.error, 0) + 1
        elif pl.play_t is None:
            reasons["not playing by the end"] = reasons.get("not playing by the end", 0) + 1
    run_s = t_end - t0
    start_ms = dist([1000 * (pl.play_t - pl.start_t) for pl in players if pl.play_t])
    rate = dist(kbps)
    reader = args.reader if args.reader == "eager" else f"batched({args.lowat})"
    print(f"rtmp_readers {args.url}: {args.viewers} viewers, {run_s:.1f} s, {reader} reads")
    print(f"  Play.Start: {played}/{args.viewers}   receiving in the window: {got}   "
          f"disconnected early: {len(early)}")
    print(f"  received: {8 * total / run_s / 1e6:.1f} Mbit/s in total   client CPU: {cpu:.2f} s "
          f"({100 * cpu / run_s:.0f}% of one core)")
    print(f"  Play.Start ms   min {start_ms['min']:.0f} median {start_ms['p50']:.0f} "
          f"max {start_ms['max']:.0f}")
    print(f"  bitrate kbit/s  min {rate['min']:.0f} median {rate['p50']:.0f} "
          f"max {rate['max']:.0f} (over the last {span:.1f} s)")
    for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:5]:
        print(f"  error x{n}: {reason}")
    if run_s > 0 and cpu / run_s > 0.9:
        print(f"  WARNING: the client used {100 * cpu / run_s:.0f}% of a core: it may be the "
              "bottleneck, not the server")
    result = {
        "client": "python", "url": args.url, "viewers": args.viewers, "duration_s": run_s,
        "reader": reader, "played": played, "got_keyframe": got,
        "never_started": args.viewers - played, "disconnected_early": len(early),
        "total_mbps": 8 * total / run_s / 1e6, "client_cpu_s": cpu, "bitrate_window_s": span,
        "play_start_ms": start_ms, "first_keyframe_ms": None, "bitrate_kbps": rate,
        "lag_end_ms": None, "lag_max_ms": None,
        "errors": [{"reason": r, "viewers": n} for r, n in reasons.items()][:5],
    }
    print("RESULT " + json.dumps(result, separators=(",", ":")), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
