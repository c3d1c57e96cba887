# VLC 3 (Debian's vlc-bin, headless) plays a live stream over RTMP and HTTP-FLV and
# shows frames, from the stream's first second and mid-show, while room events ride
# in the stream. Owner: integration tests. Real time: ~11 s.
"""VLC reads FLV (HTTP-FLV, and RTMP through libavformat's rtmp) with FFmpeg's FLV
reader. An onTextData tag, or an onMetaData not at timestamp 0, in what that reader
probes becomes a text stream, and VLC 3 holds its clock at that stream's packet: it
showed no frame (issue 14). `frames displayed` is VLC's own count of the pictures
its video output displayed (--stats, the rc interface's `stats`)."""

import os
import re
import shutil
import subprocess
import time

import harness as h
import room_client as rc

KEY = "it-vlc-room-key-0123456789abcdef0123456789"
APP_ID = 1400000777
PLAY_SECONDS = 7


class VlcPlayer:
    """VLC with the rc interface on stdin, dummy audio and video outputs, --stats and
    -vv, output and log in one file. VLC refuses to run as root: as root it runs as
    nobody (setpriv), with a HOME of its own."""

    def __init__(self, url, name):
        self.name, self.url = name, url
        self.dir = h.make_tmpdir("roomcast-vlc-")
        os.chmod(self.dir, 0o777)  # nobody writes its config and caches here
        self.log_path = os.path.join(self.dir, name + ".log")
        self.args = ["vlc", "-I", "rc", "--rc-fake-tty", "--vout=dummy", "--aout=dummy",
                     "--no-video-title-show", "--stats", "-vv",
                     # a safety net: the player leaves by itself if the test does not
                     "--play-and-exit", "--run-time=%d" % (PLAY_SECONDS + 20), url]
        if os.geteuid() == 0:
            self.args = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                         "--"] + self.args
        self.proc = None

    def start(self):
        h.log("start %s: %s" % (self.name, " ".join(self.args)))
        env = dict(os.environ, HOME=self.dir, XDG_CONFIG_HOME=self.dir,
                   XDG_CACHE_HOME=self.dir, XDG_DATA_HOME=self.dir)
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        self.proc = h.start_process(self.args, self.log_path, env=env, stdin=subprocess.PIPE)
        return self

    def command(self, line):
        try:
            self.proc.stdin.write((line + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def stats(self, timeout=10):
        """Asks for the statistics; returns {name: int} of the block VLC prints."""
        mark = len(h.read_text(self.log_path))
        self.command("stats")
        text = h.wait_until(
            lambda: (lambda t: t if "end of statistical info" in t else None)(
                h.read_text(self.log_path)[mark:]),
            timeout, 0.1, "%s to print its statistics:\n%s" % (self.name, self.tail()))
        out = {}
        for m in re.finditer(r"^\s*\|\s*([a-z ]+?)\s*:\s*(-?\d+)\s*$", text, re.M):
            out[m.group(1)] = int(m.group(2))
        return out

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.command("quit")
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def log(self):
        return h.read_text(self.log_path)

    def tail(self, n=60):
        lines = [l for l in self.log().splitlines()[-400:] if not l.startswith("[h264 @")]
        return "\n".join(lines[-n:])


class VlcTest(h.IntegrationTest):
    def setUp(self):
        if not shutil.which("vlc") or not shutil.which("setpriv"):
            self.skipTest("vlc (vlc-bin, vlc-plugin-base) or setpriv not installed")

    def player(self, url, name):
        p = VlcPlayer(url, name).start()
        self.addCleanup(p.stop)
        return p

    def test_vlc_shows_frames_over_rtmp_and_http_flv(self):
        sets = {"room.key": KEY, "room.app_id": APP_ID}
        with h.Server(sets=sets, name="roomcast-vlc") as srv:
            pub = h.Publisher(srv.rtmp_url("demo"), loop=True, name="vlc-pub").start()
            self.addCleanup(pub.kill)
            srv.wait_stream("demo")
            t0 = time.monotonic()
            # From the stream's first second (the GOP starts at 0), over both.
            players = [self.player(srv.rtmp_url("demo"), "vlc-rtmp-first"),
                       self.player(srv.flv_url("demo"), "vlc-flv-first")]
            # Room events ride in both while the players open and play; the room's
            # status (the stream went live) is waiting to greet each new viewer.
            api = rc.Api(srv.http_port, APP_ID, KEY)
            for i in range(3):
                time.sleep(1)
                api.ok("POST", "/api/v1/rooms/live/demo/messages",
                       {"type": "text", "body": {"text": "hello vlc %d" % i}})
            # Mid-show: the viewer's GOP starts seconds into the stream.
            players.append(self.player(srv.flv_url("demo"), "vlc-flv-mid"))
            due = {p.name: time.monotonic() + PLAY_SECONDS for p in players[2:]}
            for p in players[:2]:
                due[p.name] = t0 + PLAY_SECONDS
            results = {}
            for p in players:
                time.sleep(max(0.0, due[p.name] - time.monotonic()))
                self.assertIsNone(p.proc.poll(), "%s exited early:\n%s" % (p.name, p.tail()))
                results[p.name] = p.stats()
                p.stop()
            self.assertTrue(pub.running(), pub.output()[-2000:])
            for p in players:
                h.log("%s: %s" % (p.name, results[p.name]))
            for p in players:
                s = results[p.name]
                self.assertIn("frames displayed", s, "%s: no statistics:\n%s" % (p.name, p.tail()))
                self.assertGreater(s["frames displayed"], 0, "%s showed no frame: %s\n%s" % (
                    p.name, s, p.tail()))
            for p in players:
                # No text stream: VLC holds its clock on it at each room event.
                self.assertNotIn("adding es: subtitle", p.log(),
                                 "%s opened a text stream:\n%s" % (p.name, p.tail()))


if __name__ == "__main__":
    h.main()
