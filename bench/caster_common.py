"""caster_common: what bench/caster-bench's jobs share: starting roomcast and ffmpeg
(stopped on exit), CPU of a process and its threads over a window, an HTTP-FLV reader
that logs each frame's wall arrival, added latency by pts, UserSig. Python 3 standard
library only."""

import base64
import bisect
import hashlib
import hmac
import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
APP_ID = 1400000042
FPS = 30
PTS_SLACK_MS = 500 // FPS  # a rung's pts may be the source's rounded to the frame grid
PTS_SETTLE_S = 1.0  # pts whose source arrival is this close to the window end may lack a rung

children = []  # Popen objects we started, stopped in reverse order on exit


def log(msg):
    print(msg, flush=True)


def stop_process(proc, timeout=5.0):
    if proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    except ProcessLookupError:
        pass


def cleanup():
    while children:
        stop_process(children.pop())


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def spawn(args, logfile, stdout=None):
    out = open(logfile, "ab")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=stdout or out,
                            stderr=out, cwd=ROOT)
    out.close()
    children.append(proc)
    return proc


def release(proc):
    stop_process(proc)
    if proc in children:
        children.remove(proc)


def free_ports(n):
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def wait_until(pred, timeout, what, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise RuntimeError(f"timed out after {timeout:g} s waiting for {what}")


def cpu_seconds(pid):
    """utime + stime of every thread of `pid`, exited ones included (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def thread_cpu(pid):
    """{tid: (thread name, utime + stime s)} of `pid`'s live threads."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        out[tid] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
    return out


def by_thread_name(before, after):
    """CPU s per thread name in a window (threads alive at both ends), largest first."""
    names = {}
    for tid, (name, cpu) in after.items():
        if tid in before:
            names[name] = names.get(name, 0.0) + cpu - before[tid][1]
    return sorted(names.items(), key=lambda kv: -kv[1])


def user_sig(key, identifier, expire=86400):
    """A TLSSigAPIv2 UserSig (the scheme roomcast's room.key checks)."""
    t = int(time.time())
    content = (f"TLS.identifier:{identifier}\nTLS.sdkappid:{APP_ID}\nTLS.time:{t}\n"
               f"TLS.expire:{expire}\n")
    mac = base64.b64encode(hmac.new(key.encode(), content.encode(), hashlib.sha256).digest())
    doc = {"TLS.ver": "2.0", "TLS.identifier": identifier, "TLS.sdkappid": APP_ID,
           "TLS.time": t, "TLS.expire": expire, "TLS.sig": mac.decode()}
    raw = zlib.compress(json.dumps(doc, separators=(",", ":")).encode())
    return base64.b64encode(raw).decode().translate(str.maketrans("+/=", "*-_"))


class FlvReader(threading.Thread):
    """An HTTP-FLV viewer that logs the wall arrival (monotonic) of each video pts
    (FLV timestamp + AVC composition time) and counts the bytes it reads."""

    def __init__(self, port, path):
        super().__init__(daemon=True)
        self.port, self.path = port, path
        self.arrivals = {}  # pts ms -> first arrival
        self.bytes = []  # (arrival, n) per recv
        self.error = None
        self.stop_flag = threading.Event()
        self.sock = None

    def run(self):
        try:
            self.read()
        except Exception as e:  # noqa: BLE001 (reported by the driver)
            if not self.stop_flag.is_set():
                self.error = f"{self.path}: {e}"

    def read(self):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        self.sock = s
        s.sendall(f"GET {self.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise RuntimeError("closed before the response head")
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 200 " not in lines[0] + " ":
            raise RuntimeError(f"HTTP {lines[0]}")
        chunked = any(l.lower().startswith("transfer-encoding:") and "chunked" in l.lower()
                      for l in lines[1:])
        raw, flv, now = buf, b"", time.monotonic()
        header_done = False
        while not self.stop_flag.is_set():
            if chunked:  # NOTE: decodes what is complete, leaves the rest in `raw`
                while True:
                    eol = raw.find(b"\r\n")
                    if eol < 0:
                        break
                    size = int(raw[:eol].split(b";")[0], 16)
                    if len(raw) < eol + 2 + size + 2:
                        break
                    flv += raw[eol + 2:eol + 2 + size]
                    raw = raw[eol + 2 + size + 2:]
            else:
                flv, raw = flv + raw, b""
            if not header_done and len(flv) >= 13:
                flv, header_done = flv[13:], True  # FLV header + PreviousTagSize0
            while header_done and len(flv) >= 11:
                size = int.from_bytes(flv[1:4], "big")
                if len(flv) < 11 + size + 4:
                    break
                if flv[0] & 0x1f == 9 and size >= 5 and flv[12] == 1:  # AVC NALUs
                    ts = int.from_bytes(flv[4:7], "big") | (flv[7] << 24)
                    cts = int.from_bytes(flv[13:16], "big")
                    if cts & 0x800000:
                        cts -= 1 << 24
                    self.arrivals.setdefault(ts + cts, now)
                flv = flv[11 + size + 4:]
            d = s.recv(262144)
            if not d:
                raise RuntimeError("the server closed the connection")
            now = time.monotonic()
            self.bytes.append((now, len(d)))
            raw += d

    def frames(self, t0, t1):
        return sum(1 for t in list(self.arrivals.values()) if t0 <= t < t1)

    def kbps(self, t0, t1):
        return sum(n for t, n in self.bytes if t0 <= t < t1) * 8 / 1000 / (t1 - t0)

    def stop(self):
        self.stop_flag.set()
        if self.sock:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.join(timeout=5)


def nearest_rank(values, q):
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(q * len(v) + 0.999999) - 1))]


def added_latency(source, rung, t0, t1):
    """arrival(rung, pts) - arrival(source, pts) in ms for the pts that reached the
    source in [t0, t1 - PTS_SETTLE_S); (samples, expected count)."""
    src = dict(source.arrivals)
    out = dict(rung.arrivals)
    wanted = [p for p, t in src.items() if t0 <= t < t1 - PTS_SETTLE_S]
    keys = sorted(out)
    samples = []
    for p in wanted:
        # NOTE: the CLI's encoders run on a 1/30 s time base: its pts are the source's
        # rounded to that grid (after a loop of the source file the two grids differ
        # by up to half a frame), so a frame is the nearest pts within half a frame.
        i = bisect.bisect_left(keys, p)
        near = [keys[j] for j in (i - 1, i) if 0 <= j < len(keys)]
        q = min(near, key=lambda k: abs(k - p), default=None)
        if q is not None and abs(q - p) <= PTS_SLACK_MS:
            samples.append(1000 * (out[q] - src[p]))
    return samples, len(wanted)


class Roomcast:
    def __init__(self, args, workdir):
        self.args, self.workdir = args, workdir
        self.rtmp_port, self.http_port = free_ports(2)
        self.key = secrets.token_hex(24)
        self.log_path = os.path.join(workdir, "roomcast.log")
        cmd = [os.path.join(args.build, "roomcast"),
               "--set", f"rtmp.listen=127.0.0.1:{self.rtmp_port}",
               "--set", f"http.listen=127.0.0.1:{self.http_port}",
               "--set", "log.level=warn", "--set", "hls.enabled=false",
               "--set", f"room.key={self.key}", "--set", f"room.app_id={APP_ID}",
               "--set", f"mixer.assets_dir={workdir}",
               # NOTE: ffmpeg's FLV muxer sends the sequence headers at ts 0 and then
               # the -copyts frames at the source's ts (minutes): a "jump" the stream
               # clock would smooth (re-base to 0), losing the pts match with live/src.
               "--set", "stream.timestamp_jump_ms=3600000"]
        for kv in args.server_set:
            cmd += ["--set", kv]
        self.proc = spawn(cmd, self.log_path)
        wait_until(lambda: self.proc.poll() is not None or self.listening(), 15,
                   "roomcast to listen")
        if self.proc.poll() is not None:
            raise RuntimeError(f"roomcast exited; see {self.log_path}")
        self.auth = "identifier=administrator&usersig=" + urllib.parse.quote(
            user_sig(self.key, "administrator"), safe="")

    def listening(self):
        try:
            with socket.create_connection(("127.0.0.1", self.http_port), timeout=0.5):
                return True
        except OSError:
            return False

    def rtmp_url(self, name):
        return f"rtmp://127.0.0.1:{self.rtmp_port}/live/{name}"

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=10)
        try:
            conn.request(method, path + "?" + self.auth,
                         body=None if body is None else json.dumps(body),
                         headers={"Content-Type": "application/json"} if body else {})
            r = conn.getresponse()
            text = r.read().decode("utf-8", "replace")
        finally:
            conn.close()
        try:
            return r.status, json.loads(text) if text else None
        except ValueError:
            return r.status, text

    def stream_live(self, key):
        st, js = self.call("GET", "/api/v1/streams")
        if st != 200:
            return False
        streams = js.get("streams", js) if isinstance(js, dict) else js
        return any(isinstance(s, dict) and key in (s.get("key"), s.get("name"),
                                                   f"{s.get('app')}/{s.get('name')}")
                   for s in streams)


def window_cpu(pids, seconds, threads_of=None):
    """CPU seconds of each pid over `seconds` of wall time (and the exact window);
    with threads_of, also that pid's CPU per thread name (window_cpu.threads)."""
    th0 = thread_cpu(threads_of) if threads_of else None
    c0 = {p: cpu_seconds(p) for p in pids}
    t0 = time.monotonic()
    time.sleep(seconds)
    c1 = {p: cpu_seconds(p) for p in pids}
    t1 = time.monotonic()
    window_cpu.threads = by_thread_name(th0, thread_cpu(threads_of)) if threads_of else []
    return {p: c1[p] - c0[p] for p in pids}, t0, t1


def baseline(srv, args):
    """Roomcast's CPU rate with the source pushed and read, no caster: the ingest."""
    cpu, t0, t1 = window_cpu([srv.proc.pid], args.baseline)
    return cpu[srv.proc.pid] / (t1 - t0)


def start_readers(srv, names):
    readers = {n: FlvReader(srv.http_port, f"/live/{n}.flv") for n in names}
    for r in readers.values():
        r.start()
    return readers


def wait_caught_up(source, readers, timeout=90):
    """Waits until every rung's newest pts is within 1 s of the source's: a side that
    starts behind (the CLI probes its input, then works off the GOP burst) catches up
    before the warm-up starts. Returns the seconds it took."""
    t0 = time.monotonic()

    def caught_up():
        newest = max(list(source.arrivals), default=None)  # NOTE: list(): a snapshot
        return newest is not None and all(
            max(list(r.arrivals), default=-1e18) >= newest - 1000 for r in readers.values())

    wait_until(caught_up, timeout, "the rungs to catch up with the source")
    return time.monotonic() - t0


def latency_rows(source, readers, t0, t1):
    rows = {}
    for name, r in readers.items():
        samples, wanted = added_latency(source, r, t0, t1)
        rows[name] = {"n": len(samples), "wanted": wanted, "kbps": r.kbps(t0, t1),
                      "fps": r.frames(t0, t1) / (t1 - t0),
                      "p50": nearest_rank(samples, 0.5) if samples else None,
                      "p95": nearest_rank(samples, 0.95) if samples else None,
                      "max": max(samples) if samples else None, "error": r.error}
    return rows
