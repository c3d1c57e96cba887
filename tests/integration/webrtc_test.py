# WebRTC with real peers (issue 17): WHEP playback of an RTMP push in headless
# Chromium (getStats: frames and keyframes decoded), a WHIP push from Chromium's fake
# camera read back by ffprobe over RTMP and HLS, and the signalling's answers to bad
# requests (RFC 9725 status codes, JSON errors). Owner: integration tests. ~60 s.
import json
import os
import shutil
import subprocess
import time
import unittest
import urllib.request

import harness as h
from browser_test import WEB_ROOT, run_page

HERE = os.path.dirname(os.path.abspath(__file__))
WHIP_SCRIPT = os.path.join(HERE, "browser", "whip.mjs")

# A browser-friendly live source: H.264 without B-frames (WebRTC plays B-frames at a
# few fps), a keyframe each second, AAC.
LIVE_H264 = ["-re", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
             "-g", "30", "-pix_fmt", "yuv420p", "-b:v", "800k", "-c:a", "aac", "-b:a", "64k"]

CHROMIUM_VP8_ONLY_OFFER = "\r\n".join([
    "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:0", "a=recvonly",
    "a=ice-ufrag:abcd", "a=ice-pwd:abcdefghijklmnopqrstuvwx",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), "a=setup:actpass", "a=rtcp-mux",
    "a=rtpmap:96 VP8/90000", ""])


def http(method, url, body=None, headers=None):
    """(status, headers, body bytes) of one request; never raises on 4xx/5xx."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class WebrtcTest(unittest.TestCase):
    def test_01_whep_plays_an_rtmp_push_in_chromium(self):
        with h.Server(sets={"web.root": WEB_ROOT, "webrtc.consent_timeout_ms": 5000}) as srv:
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                r = run_page(srv, "stream=live/demo&proto=whep&autoplay=1&muted=1")
                self.assertTrue(r.get("ok"), r.get("reason"))
                self.assertEqual(r.get("pageErrors"), [])
                whep = r["end"]["whep"]
                h.log("whep stats: %r" % whep)
                self.assertEqual(whep["state"], "connected", whep)
                self.assertGreater(whep["framesDecoded"], 60, whep)
                self.assertGreaterEqual(whep["keyFramesDecoded"], 1, whep)
                self.assertEqual((r["end"]["videoWidth"], r["end"]["videoHeight"]), (640, 360))
                # The browser went away without a DELETE: consent freshness (RFC 7675)
                # ends the session once no valid traffic came for 5 s.
                srv.wait_for_log(r"whep .* closed: no valid traffic for 5000 ms", 15)
                self.assertTrue(pub.running(), "the RTMP publisher was dropped")
            finally:
                pub.stop()

    def test_02_whip_from_chromium_is_read_over_rtmp_and_hls(self):
        with h.Server(sets={"web.root": WEB_ROOT}) as srv:
            node = shutil.which("node")
            args = [node, WHIP_SCRIPT, "--origin", srv.http_url("").rstrip("/"),
                    "--stream", "live/cam", "--seconds", "12", "--timeout", "40"]
            h.log("whip: " + " ".join(args))
            whip = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    stdin=subprocess.DEVNULL)
            try:
                info = h.wait_until(lambda: (lambda s: s if s and s.get("video") else None)(
                    srv.api_stream("live/cam")), 25, 0.25, "the WHIP stream with video")
                h.log("stream: %r" % info)
                self.assertEqual(info.get("origin"), "webrtc", info)
                probe = h.ffprobe_json(["-show_streams", "-read_intervals", "%+2",
                                        srv.rtmp_url("cam")])
                video = [s for s in probe["streams"] if s["codec_type"] == "video"]
                self.assertEqual([s["codec_name"] for s in video], ["h264"], probe)
                self.assertEqual((video[0]["width"], video[0]["height"]), (640, 360))
                time.sleep(3)  # a few HLS segments
                probe = h.ffprobe_json(["-show_streams", srv.http_url("/live/cam.m3u8")])
                self.assertIn("h264", [s["codec_name"] for s in probe["streams"]], probe)
            finally:
                out, err = whip.communicate(timeout=60)
            result = json.loads(out.decode().strip().splitlines()[-1])
            h.log("whip result: ok=%s reason=%s last=%r" % (
                result.get("ok"), result.get("reason"), result.get("last")))
            self.assertTrue(result.get("ok"), (result.get("reason"), err.decode()[-2000:]))
            self.assertIn("H264", result["last"]["codec"].upper())
            srv.wait_for_log(r"whip .* closed: the client ended it", 10)

    def test_03_bad_requests_get_clear_errors(self):
        with h.Server(sets={"webrtc.max_sessions_per_ip": 1}) as srv:
            url = srv.http_url("/whep/live/demo")
            st, _, body = http("POST", url, b"v=0", {"Content-Type": "text/plain"})
            self.assertEqual(st, 415, body)
            self.assertIn("application/sdp", json.loads(body)["error"])
            st, _, body = http("POST", url, b"v=0", {"Content-Type": "application/sdp"})
            self.assertEqual(st, 404, body)  # no such stream to play
            pub = h.FfmpegProc(LIVE_H264 + ["-f", "flv", srv.rtmp_url()], "publisher").start()
            try:
                srv.wait_stream()
                st, _, body = http("POST", url, b"not sdp at all",
                                   {"Content-Type": "application/sdp"})
                self.assertEqual(st, 400, body)
                self.assertIn("error", json.loads(body))
                st, _, body = http("POST", url, CHROMIUM_VP8_ONLY_OFFER.encode(),
                                   {"Content-Type": "application/sdp"})
                self.assertEqual(st, 422, body)
                self.assertIn("H.264", json.loads(body)["error"])
                st, hd, _ = http("OPTIONS", url)
                self.assertEqual(st, 204)
                self.assertEqual(hd.get("Accept-Post"), "application/sdp")
                st, _, body = http("DELETE", srv.http_url("/whep/session/nope"))
                self.assertEqual(st, 404, body)
                self.assertTrue(srv.find_log(r"whep 127\.0\.0\.1.* live/demo: refused \(422\)"))
                self.assertTrue(pub.running())
            finally:
                pub.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
