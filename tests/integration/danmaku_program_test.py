# Danmaku on the picture (issue 18 points 4 and 9): a program over a pushed solid
# colour draws the host room's text messages; a clean program over the same input
# runs beside it. A member sends a message over the room WebSocket; both programs
# are decoded from their RTMP output; the first frame where the danmaku program's
# top lane changes carries the pts of the moment the room accepted the message
# (+-100 ms), read on the program's own clock (the streamTime of marker messages
# sent just before and after into the program's own room), and the clean program
# does not change at all. Small: 320x180 at 30 fps. Owner: integration tests.
# Real time: ~15 s.
import re
import subprocess
import threading
import time

import harness as h
import room_fixture

W, H, FPS = 320, 180, 30
FONT, LANE = 24, 30  # font_size 24: lanes 30 px high, lane 0 at the top
COLOUR = "0x203060"


class FrameReader:
    """Decodes `seconds` of an RTMP stream to grey frames with their pts (ms, the
    stream's own timestamps: -copyts and showinfo) on a thread."""

    def __init__(self, url, frames):
        # NOTE: -fps_mode passthrough: rawvideo would get a constant rate, and a frame
        # the program skipped (a late tick) would come out twice, one pts for two.
        self.args = ["ffmpeg", "-hide_banner", "-nostdin", "-nostats", "-copyts", "-i", url,
                     "-map", "0:v", "-frames:v", str(frames), "-vf", "showinfo,format=gray",
                     "-fps_mode", "passthrough", "-f", "rawvideo", "-"]
        self.frames, self.pts, self.err = [], [], b""
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out = threading.Thread(target=self._read, daemon=True)
        self.errt = threading.Thread(target=self._read_err, daemon=True)
        self.out.start()
        self.errt.start()

    def _read(self):
        n = W * H
        while True:
            b = self.proc.stdout.read(n)
            if len(b) < n:
                return
            self.frames.append(b)

    def _read_err(self):
        self.err = self.proc.stderr.read()

    def count(self):
        return len(self.frames)

    def finish(self, timeout=20):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.join(5)
        self.errt.join(5)
        text = self.err.decode(errors="replace")
        # NOTE: showinfo may see a frame past -frames:v (it sits before the cut).
        self.pts = [int(m.group(1)) for m in re.finditer(r"\bn:\s*\d+\s+pts:\s*(-?\d+)", text)]
        self.pts = self.pts[:len(self.frames)]
        if not self.frames or len(self.pts) != len(self.frames):
            raise AssertionError("%d frames, %d pts: %s" % (len(self.frames), len(self.pts),
                                                             text[-800:]))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()


def changed(a, b, y0, y1, threshold=40):
    """Pixels of rows [y0, y1) that differ by more than `threshold`."""
    return sum(1 for i in range(y0 * W, y1 * W) if abs(a[i] - b[i]) > threshold)


class DanmakuProgramTest(room_fixture.RoomServerTest):
    def test_danmaku_at_its_stream_time_beside_a_clean_program(self):
        with self.serve() as srv:
            push = h.FfmpegProc([
                "-v", "error", "-re", "-f", "lavfi", "-i",
                "color=%s:s=%dx%d:r=%d" % (COLOUR, W, H, FPS), "-c:v", "libx264", "-preset",
                "ultrafast", "-tune", "zerolatency", "-g", str(FPS), "-pix_fmt", "yuv420p",
                "-f", "flv", srv.rtmp_url("host")], "push-host").start()
            self.addCleanup(push.kill)
            srv.wait_stream("host")
            common = {"inputs": [{"stream": "live/host"}], "width": W, "height": H, "fps": FPS,
                      "kbps": 600, "preset": "ultrafast"}
            # Bad option: a clear 400 naming the field.
            st, js = self.api.call("POST", "/api/v1/programs", dict(
                common, output="live/dm", danmaku={"lanes": 0}))
            self.assertEqual(st, 400, js)
            self.assertIn("danmaku.lanes", js["error"])
            st, js = self.api.call("POST", "/api/v1/programs", dict(
                common, output="live/dm",
                danmaku={"font_size": FONT, "speed": 200, "lanes": 3, "max_on_screen": 10}))
            self.assertEqual(st, 201, js)
            st, js = self.api.call("POST", "/api/v1/programs", dict(common, output="live/clean"))
            self.assertEqual(st, 201, js)
            for key in ("live/dm", "live/clean"):
                h.wait_until(lambda: self.api.call("GET", "/api/v1/programs/" + key)[1][
                    "inputs"][0]["state"] == "live", 15, 0.2, key + " live")
            srv.wait_stream("dm")
            srv.wait_stream("clean")
            _, p = self.api.call("GET", "/api/v1/programs/live/dm")
            self.assertEqual(p["danmaku"]["room"], "")
            self.assertEqual(p["danmaku_stats"]["room"], "live/host")
            self.assertTrue(p["danmaku_stats"]["subscribed"], p["danmaku_stats"])

            readers = [FrameReader(srv.rtmp_url(n), 5 * FPS) for n in ("dm", "clean")]
            for r in readers:
                self.addCleanup(r.kill)
            h.wait_until(lambda: all(r.count() > 2 * FPS for r in readers), 15, 0.05,
                         "2 s of both programs decoded")
            alice = self.member("alice", "live/host")
            # The program's own room (a program's stream gets none by itself): its
            # messages carry the program's clock.
            self.api.create_room("live/dm", owner="bob")
            bob = self.member("bob", "live/dm")

            # Sent back to back (no wait for the replies): the room stamps each when
            # it accepts it, the markers on the program's clock.
            sends = [(bob, "live/dm", "mark 1"), (alice, "live/host", "弹幕 hello 한글"),
                     (bob, "live/dm", "mark 2")]
            ids = [m.send_cmd("send", room=room, type="text", body={"text": text})
                   for m, room, text in sends]
            stamps = []
            for (m, room, text), rid in zip(sends, ids):
                reply = m.reply_to(rid)
                self.assertEqual(reply.get("code"), 0, reply)
                e = m.wait_for(lambda e: e.get("event") == "message" and
                               e.get("body", {}).get("text") == text, 5, text)
                self.assertIn("streamTime", e, e)
                stamps.append(e["streamTime"])
            before, after = stamps[0], stamps[2]
            h.log("program clock around the message: %d .. %d" % (before, after))
            self.assertLess(after - before, 60, "the markers are too far apart to date it")
            expected = (before + after) / 2
            for r in readers:
                r.finish()

            dm, clean = readers
            first = None
            for i in range(1, len(dm.frames)):
                if changed(dm.frames[i - 1], dm.frames[i], 0, LANE) > 3:
                    first = i
                    break
            self.assertIsNotNone(first, "the danmaku program's lane never changed")
            h.log("first lane change at pts %d (frame %d), expected %.0f: %+.0f ms" % (
                dm.pts[first], first, expected, dm.pts[first] - expected))
            self.assertLessEqual(abs(dm.pts[first] - expected), 100)
            # In lane 0 only: the rows below it never change.
            for i in range(1, len(dm.frames)):
                self.assertEqual(changed(dm.frames[i - 1], dm.frames[i], LANE + 2, H), 0, i)
            # It scrolls: half a second later (100 px in; it crosses in ~2.4 s) the
            # lane holds much more of it.
            later = min(first + FPS // 2, len(dm.frames) - 1)
            self.assertGreater(changed(dm.frames[first], dm.frames[later], 0, LANE), 100)
            # The clean program beside it shows nothing, around that time or ever.
            self.assertTrue(any(abs(p - dm.pts[first]) <= 50 for p in clean.pts), clean.pts)
            for i in range(1, len(clean.frames)):
                self.assertEqual(changed(clean.frames[i - 1], clean.frames[i], 0, H), 0, i)
            _, p = self.api.call("GET", "/api/v1/programs/live/dm")
            self.assertEqual(p["danmaku_stats"]["shown"], 1, p["danmaku_stats"])
            self.assertNotIn("danmaku_stats", self.api.call(
                "GET", "/api/v1/programs/live/clean")[1])


if __name__ == "__main__":
    h.main()
