# WHEP of a source with B-frames (issue 17 point 3): the viewer is moved to the
# mixer's B-frame-free rendition {app}/{name}_webrtc (the source's size, made once and
# shared by every WHEP viewer), which Chromium decodes at full rate, and which stops
# a grace period after the last one leaves. Owner: integration tests. ~30 s.
import json
import os
import shutil
import subprocess
import threading
import time
import unittest

import harness as h
from browser_test import WEB_ROOT
from webrtc_loss_test import ADMIN_SETS, webrtc_api

HERE = os.path.dirname(os.path.abspath(__file__))
WHEP_STATS = os.path.join(HERE, "browser", "whep_stats.mjs")

# x264's veryfast has B-frames (ultrafast and tune zerolatency would not).
SOURCE = ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
          "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
          "-c:v", "libx264", "-preset", "veryfast", "-bf", "2", "-g", "30", "-pix_fmt", "yuv420p",
          "-b:v", "500k", "-threads", "1", "-c:a", "aac", "-b:a", "64k"]


def bframes_chromium(srv, seconds):
    """Plays live/demo in Chromium (browser/whep_stats.mjs); its JSON result."""
    args = [shutil.which("node"), WHEP_STATS, "--origin", srv.http_url("").rstrip("/"),
            "--stream", "live/demo", "--seconds", str(seconds),
            "--web-root", os.path.abspath(WEB_ROOT)]
    h.log("whep_stats: " + " ".join(args))
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=seconds + 60)
    lines = p.stdout.decode("utf-8", "replace").strip().splitlines()
    if not lines:
        raise AssertionError("whep_stats printed nothing: " + p.stderr.decode()[-2000:])
    r = json.loads(lines[-1])
    h.log("whep_stats: ok=%s reason=%s last=%r" % (r.get("ok"), r.get("reason"), r.get("last")))
    return r


def bframes_sessions(srv):
    return [s for s in webrtc_api(srv)["sessions"] if s.get("role") == "whep"]


class WebrtcBframesTest(unittest.TestCase):
    def test_a_b_frame_source_is_played_from_its_rendition(self):
        with h.Server(sets=dict(ADMIN_SETS, **{"web.root": WEB_ROOT})) as srv:
            pub = h.FfmpegProc(SOURCE + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                pts = h.ffprobe_packets(srv.rtmp_url(), count=20)
                self.assertTrue(any(p.get("pts_time") != p.get("dts_time") for p in pts),
                                "the source has no B-frames: %r" % pts[:5])
                seen = {}

                def watch():
                    deadline = time.monotonic() + 20
                    while time.monotonic() < deadline and not seen.get("done"):
                        for s in bframes_sessions(srv):
                            if s.get("video"):
                                seen["plays"] = s.get("plays")
                        time.sleep(0.3)

                watcher = threading.Thread(target=watch)
                watcher.start()
                try:
                    r = bframes_chromium(srv, 6)
                finally:
                    seen["done"] = True
                    watcher.join(30)
                self.assertTrue(r.get("ok"), r.get("reason"))
                self.assertEqual(seen.get("plays"), "live/demo_webrtc", seen)
                # Chromium decodes it at the source's rate (B-frames: a few fps), after
                # the second or so the mixer takes to start.
                last = r["last"]
                self.assertGreater(last["framesDecoded"], 100, last)
                self.assertGreaterEqual(last["keyFramesDecoded"], 2, last)
                # Its audio (the source's AAC, copied) is heard as the rendition's own
                # Opus variant.
                self.assertGreater(last.get("audioPackets", 0), 100, last)
                srv.wait_for_log(r"audio variant live/demo_webrtc: opus made from", 1)
                srv.wait_for_log(r"whep .* live/demo .*: plays live/demo_webrtc \(no B-frames\)", 1)
                # The rendition: the source's size, no B-frames, a mixer stream.
                info = srv.api_stream("live/demo_webrtc")
                self.assertIsNotNone(info, "no live/demo_webrtc in the API")
                self.assertEqual(info["origin"], "mixer", info)
                self.assertEqual((info["video"]["width"], info["video"]["height"]), (320, 240))
                pts = h.ffprobe_packets(srv.rtmp_url("demo_webrtc"), count=20)
                self.assertGreaterEqual(len(pts), 10, pts)
                self.assertTrue(all(p.get("pts_time") == p.get("dts_time") for p in pts), pts)
                # The viewer left: the rendition stops after its grace period.
                srv.wait_for_log(r"caster live/demo: the WebRTC rendition stops: no WHEP "
                                 r"viewer for \d+ ms", 12)
                self.assertTrue(pub.running(), "the publisher was dropped")
            finally:
                pub.stop()


if __name__ == "__main__":
    unittest.main()
