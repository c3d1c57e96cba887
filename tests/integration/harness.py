# Integration-test harness: runs the real roomcast binary on free loopback ports and
# drives it with real clients (ffmpeg/ffprobe) and raw sockets. Owner: integration tests.
# Thread: test thread; FlvHttpReader runs one reader thread per viewer. Stdlib only.
"""Shared pieces of tests/integration/*_test.py.

Environment: ROOMCAST_BIN (the binary), ROOMCAST_SOURCE (repo root),
ROOMCAST_MEDIA_DIR (optional: where the generated source FLV is cached),
ROOMCAST_KEEP_LOGS=1 (keep per-test temp dirs)."""

import atexit
import ctypes
import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("ROOMCAST_SOURCE") or os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.environ.get("ROOMCAST_BIN") or os.path.join(SOURCE, "build", "roomcast")
DEFAULT_CONFIG = os.path.join(SOURCE, "conf", "roomcast.toml")
# The binary under test was built with AddressSanitizer/UBSan (tests/CMakeLists.txt sets
# it): its allocator keeps freed memory in quarantine and pads every block, so figures of
# the process's memory say nothing about the server's own use.
SANITIZED = os.environ.get("ROOMCAST_SANITIZED", "0") == "1"
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

_children = []  # every Popen we start, killed at exit if still running
_tmpdirs = []


def _cleanup():
    for p in _children:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(5)
            except Exception:
                pass
    if not os.environ.get("ROOMCAST_KEEP_LOGS"):
        for d in _tmpdirs:
            shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup)


def _on_term(signum, frame):
    _cleanup()
    os._exit(128 + signum)


signal.signal(signal.SIGTERM, _on_term)
signal.signal(signal.SIGHUP, _on_term)

try:
    _libc = ctypes.CDLL(None, use_errno=True)
except OSError:
    _libc = None


def _die_with_parent():
    # PR_SET_PDEATHSIG: children are killed even if this test process is SIGKILLed
    # (e.g. by the ctest timeout), so no server or ffmpeg outlives its test.
    if _libc is not None:
        _libc.prctl(1, signal.SIGKILL, 0, 0, 0)


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def make_tmpdir(prefix="roomcast-it-"):
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(pred, timeout, interval=0.1, what="condition"):
    """Poll pred() until truthy; returns its value or raises AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def sanitizer_report(text):
    for m in SANITIZER_MARKERS:
        if m in text:
            return m
    return None


def sign(key, app, name, expire):
    """lowercase hex HMAC-SHA256(key, "app/name:expire")"""
    msg = ("%s/%s:%d" % (app, name, int(expire))).encode()
    return hmac.new(key.encode(), msg, hashlib.sha256).hexdigest()


def signed_query(key, app, name, expire):
    return "expire=%d&sign=%s" % (int(expire), sign(key, app, name, expire))


def start_process(args, out_path, env=None, stdin=subprocess.DEVNULL):
    f = open(out_path, "ab")
    p = subprocess.Popen(args, stdout=f, stderr=subprocess.STDOUT, stdin=stdin, env=env,
                         start_new_session=True, preexec_fn=_die_with_parent)
    f.close()
    _children.append(p)
    return p


def read_text(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def tail(path, n=80):
    return "\n".join(read_text(path).splitlines()[-n:])


# ------------------------------------------------------------------ TOML editing

def toml_set(text, section, key, literal):
    """Set key = literal inside [section]; returns (new_text, 1-based line number)."""
    lines = text.split("\n")
    start = None
    for i, line in enumerate(lines):
        m = re.match(r"\s*\[([^\]]+)\]\s*(#.*)?$", line)
        if m and m.group(1).strip() == section:
            start = i
            break
    if start is None:
        if lines and lines[-1] != "":
            lines.append("")
        lines += ["[%s]" % section, "%s = %s" % (key, literal), ""]
        return "\n".join(lines), len(lines) - 1
    end = len(lines)
    for j in range(start + 1, len(lines)):
        if re.match(r"\s*\[", lines[j]):
            end = j
            break
    for j in range(start + 1, end):
        if re.match(r"\s*%s\s*=" % re.escape(key), lines[j]):
            lines[j] = "%s = %s" % (key, literal)
            return "\n".join(lines), j + 1
    lines.insert(start + 1, "%s = %s" % (key, literal))
    return "\n".join(lines), start + 2


def base_config_text():
    with open(DEFAULT_CONFIG) as f:
        return f.read()


# ------------------------------------------------------------------ roomcast CLI

def run_roomcast(args, timeout=30):
    """Run the binary to completion (e.g. --check, sign). Returns CompletedProcess
    with text stdout/stderr; fails on any sanitizer report."""
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=timeout, cwd=SOURCE)
    r.stdout = r.stdout.decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    rep = sanitizer_report(r.stdout + r.stderr)
    if rep:
        raise AssertionError("sanitizer report (%s) from %r:\n%s" % (rep, args, r.stderr[-6000:]))
    return r


# ------------------------------------------------------------------ server

class Server:
    """The roomcast binary on free loopback ports. Use as a context manager; on
    exit it sends SIGTERM and asserts exit code 0 and no sanitizer report."""

    def __init__(self, sets=None, config_text=None, config_path=None, name="roomcast"):
        self.sets = dict(sets or {})
        self.config_text = config_text
        self.config_path = config_path or DEFAULT_CONFIG
        self.name = name
        self.dir = make_tmpdir()
        self.log_path = os.path.join(self.dir, name + ".log")
        self.proc = None
        self.rtmp_port = self.http_port = self.udp_port = None
        self.stopped = False

    # -- lifecycle
    def start(self, timeout=20):
        if self.config_text is not None:
            self.config_path = os.path.join(self.dir, "roomcast.toml")
            with open(self.config_path, "w") as f:
                f.write(self.config_text)
        for attempt in range(3):
            self.rtmp_port, self.http_port = free_port(), free_port()
            self.udp_port = free_udp_port()
            args = [BIN, "--config", self.config_path,
                    "--set", "rtmp.listen=127.0.0.1:%d" % self.rtmp_port,
                    "--set", "http.listen=127.0.0.1:%d" % self.http_port,
                    "--set", "log.level=debug"]
            if "webrtc.listen" not in self.sets:  # WHIP/WHEP media: loopback, free port
                args += ["--set", "webrtc.listen=127.0.0.1:%d" % self.udp_port]
            if "state.dir" not in self.sets:  # a generated room key stays in the test's dir
                args += ["--set", "state.dir=" + os.path.join(self.dir, "state")]
            for k, v in self.sets.items():
                args += ["--set", "%s=%s" % (k, _set_value(v))]
            log("start %s (attempt %d): %s" % (self.name, attempt + 1, " ".join(args)))
            with open(self.log_path, "ab") as f:
                f.write(("=== %s\n" % " ".join(args)).encode())
            self.proc = start_process(args, self.log_path, stdin=subprocess.DEVNULL)
            self.stopped = False
            if self._wait_ready(timeout):
                return self
            text = read_text(self.log_path)
            if self.proc.poll() is not None and re.search(r"(?i)address.{0,20}in use", text):
                continue  # lost a port race: pick new ports
            code = self.proc.poll()
            self.kill()
            why = ("exited with code %s" % code) if code is not None else (
                "did not listen on %d/%d within %ss" % (self.rtmp_port, self.http_port, timeout))
            raise AssertionError("%s %s at startup\n%s" % (self.name, why, tail(self.log_path)))
        raise AssertionError("could not start %s: ports in use" % self.name)

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        pending = {self.rtmp_port, self.http_port}
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            for port in list(pending):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    pending.discard(port)
                except OSError:
                    pass
            if not pending:
                return True
            time.sleep(0.05)
        return False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def terminate(self, timeout=15, sig=signal.SIGTERM):
        """Send sig, wait for exit; returns (exit code, seconds to exit)."""
        t0 = time.monotonic()
        self.stopped = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("%s did not exit within %ss of signal %d\n%s" % (
                self.name, timeout, sig, tail(self.log_path)))
        return rc, time.monotonic() - t0

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        self.stopped = True

    def check_sanitizers(self):
        rep = sanitizer_report(read_text(self.log_path))
        if rep:
            raise AssertionError("sanitizer report (%s) in %s log:\n%s" % (
                rep, self.name, self._sanitizer_excerpt()))

    def _sanitizer_excerpt(self):
        text = read_text(self.log_path)
        for m in SANITIZER_MARKERS:
            i = text.find(m)
            if i >= 0:
                return text[max(0, i - 2000):i + 8000]
        return ""

    def stop(self):
        """SIGTERM; assert clean exit 0 and no sanitizer report."""
        if self.proc is None:
            return
        if not self.stopped or self.proc.poll() is None:
            if self.proc.poll() is not None:
                raise AssertionError("%s died before the end of the test (exit %s)\n%s" % (
                    self.name, self.proc.returncode, tail(self.log_path)))
            rc, _ = self.terminate()
        else:
            rc = self.proc.returncode
        self.check_sanitizers()
        if rc != 0:
            raise AssertionError("%s exited with %s after SIGTERM (expected 0)\n%s" % (
                self.name, rc, tail(self.log_path)))

    def __enter__(self):
        return self.start()

    def __exit__(self, etype, exc, tb):
        if etype is not None:
            log("test failed; %s log tail:\n%s" % (self.name, tail(self.log_path, 120)))
            rep = sanitizer_report(read_text(self.log_path))
            if rep:
                log("SANITIZER REPORT:\n" + self._sanitizer_excerpt())
            self.kill()
            return False
        try:
            self.stop()
        except AssertionError:
            log("%s log tail:\n%s" % (self.name, tail(self.log_path, 120)))
            raise
        return False

    # -- URLs
    def rtmp_url(self, name="demo", app="live", query=None):
        u = "rtmp://127.0.0.1:%d/%s/%s" % (self.rtmp_port, app, name)
        return u + ("?" + query if query else "")

    def flv_url(self, name="demo", app="live", query=None):
        u = "http://127.0.0.1:%d/%s/%s.flv" % (self.http_port, app, name)
        return u + ("?" + query if query else "")

    def http_url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    # -- logs
    def log_text(self):
        return read_text(self.log_path)

    def log_mark(self):
        """An offset; pass as since= to only search what is logged after now."""
        return len(self.log_text())

    def find_log(self, regex, since=0, flags=re.IGNORECASE):
        """First log line after offset since matching regex (a line), or None."""
        rx = re.compile(regex, flags)
        for line in self.log_text()[since:].splitlines():
            if rx.search(line):
                return line
        return None

    def find_log_all(self, regexes, since=0):
        """First log line matching every regex in the list (case-insensitive)."""
        rxs = [re.compile(r, re.IGNORECASE) for r in regexes]
        for line in self.log_text()[since:].splitlines():
            if all(r.search(line) for r in rxs):
                return line
        return None

    def wait_for_log(self, regex, timeout=10, since=0):
        """Wait for a log line matching regex (str or list of str all on one line)."""
        regexes = [regex] if isinstance(regex, str) else list(regex)
        deadline = time.monotonic() + timeout
        while True:
            line = self.find_log_all(regexes, since)
            if line:
                return line
            if time.monotonic() >= deadline:
                raise AssertionError("no log line matching %r within %ss; log tail:\n%s" % (
                    regexes, timeout, tail(self.log_path, 60)))
            if not self.running() and not self.stopped:
                raise AssertionError("%s died (exit %s) while waiting for %r\n%s" % (
                    self.name, self.proc.returncode, regexes, tail(self.log_path)))
            time.sleep(0.05)

    # -- HTTP API
    def api_streams(self):
        status, _, body = http_get(self.http_url("/api/v1/streams"))
        if status != 200:
            raise AssertionError("GET /api/v1/streams -> %s %r" % (status, body[:300]))
        return json.loads(body)

    def api_stream(self, key):
        for s in self.api_streams().get("streams", []):
            if s.get("key") == key:
                return s
        return None

    def wait_stream(self, name="demo", app="live", timeout=15, query=None):
        """Wait until GET /app/name.flv answers 200 (the stream is playable)."""
        def ok():
            try:
                status, _ = http_status(self.http_port, "/%s/%s.flv%s" % (
                    app, name, "?" + query if query else ""))
                return status == 200
            except OSError:
                return False
        wait_until(ok, timeout, 0.2, "stream %s/%s to be playable" % (app, name))


def _set_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


# HTTP helpers and the FLV reader live in flv_http.py; re-exported here.
from flv_http import (FlvHttpReader, dechunk, http_get, http_status,  # noqa: E402,F401
                      json_body_of, read_body_until_close, read_http_head)


# ------------------------------------------------------------------ media

MEDIA_SECONDS = 24


def source_media():
    """Path of the generated source FLV (H.264 High 1280x720 30 fps, -bf 3, -g 60,
    ~3 Mbit/s + AAC 48 kHz stereo). Generated once and cached (file lock)."""
    args_sig = "v2-%d" % MEDIA_SECONDS
    base = os.environ.get("ROOMCAST_MEDIA_DIR") or os.path.join(
        tempfile.gettempdir(), "roomcast-integ-media")
    os.makedirs(base, exist_ok=True)
    path = os.path.join(base, "source-%s.flv" % args_sig)
    with open(os.path.join(base, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(path) and os.path.getsize(path) > 1000000:
            return path
        tmp = path + ".tmp.flv"
        cmd = ["ffmpeg", "-hide_banner", "-nostdin", "-v", "error", "-y",
               "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30,noise=alls=12:allf=t",
               "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
               "-t", str(MEDIA_SECONDS), "-map", "0:v", "-map", "1:a",
               "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
               "-pix_fmt", "yuv420p", "-bf", "3", "-g", "60", "-keyint_min", "60",
               "-sc_threshold", "0", "-b:v", "3000k", "-maxrate", "3000k", "-bufsize", "3000k",
               "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-f", "flv", tmp]
        log("generating source media: %s" % path)
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        if r.returncode != 0:
            raise AssertionError("source generation failed: %s" % r.stdout.decode()[-3000:])
        os.rename(tmp, path)
        log("generated in %.1fs" % (time.monotonic() - t0))
        return path


def parse_progress(path):
    """Last complete block of an ffmpeg -progress file as a dict (or {})."""
    last, cur = {}, {}
    for line in read_text(path).splitlines():
        k, _, v = line.partition("=")
        cur[k.strip()] = v.strip()
        if k.strip() == "progress":
            last, cur = cur, {}
    return last


def progress_blocks(path):
    blocks, cur = [], {}
    for line in read_text(path).splitlines():
        k, _, v = line.partition("=")
        cur[k.strip()] = v.strip()
        if k.strip() == "progress":
            blocks.append(cur)
            cur = {}
    return blocks


def _int(v, default=0):
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


class FfmpegProc:
    """An ffmpeg run with -progress to a file, output to a log file."""

    def __init__(self, args, name):
        self.dir = make_tmpdir()
        self.name = name
        self.log_path = os.path.join(self.dir, name + ".log")
        self.progress_path = os.path.join(self.dir, name + ".progress")
        self.args = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats"] + args + [
            "-progress", self.progress_path, "-stats_period", "0.25"]
        self.proc = None
        self.t_start = self.t_end = None
        self.samples = []  # (monotonic, progress dict) taken by sample()

    def start(self):
        log("start %s: %s" % (self.name, " ".join(self.args)))
        self.t_start = time.monotonic()
        self.proc = start_process(self.args, self.log_path)
        return self

    def running(self):
        return self.proc.poll() is None

    def wait(self, timeout):
        """Exit code; fails (after killing) if still running after timeout."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s still running after %ss\n%s" % (
                self.name, timeout, tail(self.log_path, 30)))
        if self.t_end is None:
            self.t_end = time.monotonic()
        return rc

    def wall(self):
        return (self.t_end or time.monotonic()) - self.t_start

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.t_end is None:
            self.t_end = time.monotonic()

    def stop(self):
        """Graceful stop (SIGINT), then kill."""
        self.kill(signal.SIGINT)

    def progress(self):
        return parse_progress(self.progress_path)

    def frames(self):
        return _int(self.progress().get("frame"))

    def out_time_s(self):
        return _int(self.progress().get("out_time_us")) / 1e6

    def sample(self):
        s = (time.monotonic(), self.progress())
        self.samples.append(s)
        return s

    def output(self):
        return read_text(self.log_path)

    def error_lines(self):
        return [l for l in self.output().splitlines() if l.strip()]


class Publisher(FfmpegProc):
    """ffmpeg -re pushing the generated source with -c copy -f flv."""

    def __init__(self, url, loop=False, duration=None, name="publisher", extra=None):
        args = ["-v", "error", "-re"]
        if loop:
            args += ["-stream_loop", "-1"]
        args += ["-i", source_media(), "-c", "copy"]
        if duration:
            args += ["-t", str(duration)]
        args += list(extra or []) + ["-f", "flv", url]
        super().__init__(args, name)


class Viewer(FfmpegProc):
    """ffmpeg decoding a live URL to null (-v error: any printed line is an error)."""

    def __init__(self, url, duration=None, name="viewer", extra=None, decode=True):
        args = ["-v", "error"] + list(extra or []) + ["-i", url]
        if duration:
            args += ["-t", str(duration)]
        if not decode:
            args += ["-c", "copy"]
        args += ["-f", "null", "-"]
        super().__init__(args, name)


def ffprobe_json(args, timeout=30):
    cmd = ["ffprobe", "-hide_banner", "-v", "error", "-of", "json"] + list(args)
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("ffprobe timed out after %ss: %s" % (timeout, " ".join(cmd)))
    if r.returncode != 0:
        raise AssertionError("ffprobe failed (%d): %s\n%s" % (
            r.returncode, " ".join(cmd), r.stderr.decode("utf-8", "replace")[-2000:]))
    return json.loads(r.stdout.decode("utf-8", "replace") or "{}")


def ffprobe_streams(url, timeout=30):
    """{'video': stream dict, 'audio': stream dict} of a live URL."""
    data = ffprobe_json(["-show_streams", url], timeout)
    out = {}
    for s in data.get("streams", []):
        out.setdefault(s.get("codec_type"), s)
    return out


def ffprobe_packets(url, count=10, select="v:0", timeout=30):
    data = ffprobe_json(["-select_streams", select, "-show_entries",
                         "packet=flags,pts_time,dts_time,size",
                         "-read_intervals", "%%+#%d" % count, url], timeout)
    return data.get("packets", [])


class IntegrationTest(unittest.TestCase):
    """Base: common assertions for stream descriptions."""

    maxDiff = None

    def assertMediaStreams(self, streams, where):
        v, a = streams.get("video"), streams.get("audio")
        self.assertIsNotNone(v, "%s: no video stream: %r" % (where, streams))
        self.assertIsNotNone(a, "%s: no audio stream: %r" % (where, streams))
        self.assertEqual(v.get("codec_name"), "h264", where)
        self.assertEqual(v.get("profile"), "High", where)
        self.assertEqual((v.get("width"), v.get("height")), (1280, 720), where)
        self.assertEqual(a.get("codec_name"), "aac", where)
        self.assertEqual(str(a.get("sample_rate")), "48000", where)
        self.assertEqual(a.get("channels"), 2, where)

    def assertFrameCount(self, frames, expected, where, tolerance=0.05):
        lo, hi = expected * (1 - tolerance), expected * (1 + tolerance)
        self.assertTrue(lo <= frames <= hi, "%s: %d frames, expected %d +-%d%%" % (
            where, frames, expected, int(tolerance * 100)))


def main():
    if not os.path.exists(BIN):
        sys.stderr.write("ROOMCAST_BIN %s does not exist\n" % BIN)
        sys.exit(2)
    unittest.main(verbosity=2)
