# The player page in headless Debian Chromium (playwright-core from web/node_modules,
# driven by browser/play.mjs): static files and caching, the stream list, HTTP-FLV,
# HLS and LL-HLS playback with the video clock advancing and frames decoded, and a
# missing player library reported on the page. Owner: integration tests. ~60 s.
import json
import os
import shutil
import subprocess

import harness as h

KEY = "live/demo"
WEB_ROOT = os.path.join(h.SOURCE, "web")
PLAY_SCRIPT = os.path.join(h.HERE, "browser", "play.mjs")
CHROMIUM = "/usr/bin/chromium"
MIN_ADVANCE_S = 3


def run_page(srv, query, expect="playing", stream=KEY, timeout=45, web_root=WEB_ROOT):
    """Run play.mjs on /?query; returns its JSON result (a dict)."""
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed (scripts/packages.txt: nodejs)")
    args = [node, PLAY_SCRIPT, "--page", srv.http_url("/?" + query), "--expect", expect,
            "--seconds", str(MIN_ADVANCE_S), "--timeout", str(timeout), "--web-root", web_root,
            "--chromium", CHROMIUM]
    if stream:
        args += ["--stream", stream]
    h.log("browser: " + " ".join(args))
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           stdin=subprocess.DEVNULL, timeout=timeout + 45)
    except subprocess.TimeoutExpired:
        raise AssertionError("play.mjs did not finish within %ss" % (timeout + 45))
    out = r.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        result = json.loads(out[-1])
    except (IndexError, ValueError):
        raise AssertionError("play.mjs printed no JSON (exit %d):\n%s\n%s" % (
            r.returncode, r.stdout.decode()[-2000:], r.stderr.decode()[-3000:]))
    h.log("browser result: " + json.dumps({k: result.get(k) for k in (
        "ok", "reason", "startupMs", "advancedS", "framesDecoded", "wallS")}))
    if result.get("end"):
        e = result["end"]
        h.log("page shows: state=%s status=%r latency=%s (%s) buffer=%sms frames=%s dropped=%s" % (
            e["state"], e["status"], e["latencyText"], e["latencyKind"], e["bufferMs"],
            e["totalVideoFrames"], e["droppedVideoFrames"]))
    return result


class BrowserTest(h.IntegrationTest):
    srv = pub = None

    @classmethod
    def setUpClass(cls):
        for need in (CHROMIUM, os.path.join(WEB_ROOT, "node_modules", "playwright-core")):
            if not os.path.exists(need):
                raise AssertionError("%s is missing: run scripts/test (installs chromium and "
                                     "npm packages)" % need)
        cls.srv = h.Server(sets={"web.root": WEB_ROOT}, name="roomcast-browser").start()
        try:
            cls.pub = h.Publisher(cls.srv.rtmp_url(), loop=True).start()
            cls.srv.wait_stream()
        except Exception:
            cls.srv.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.pub:
            cls.pub.kill()
        if cls.srv:
            cls.srv.stop()

    def assertPlayed(self, result, proto):
        where = "%s: %s" % (proto, result.get("reason"))
        mse = result.get("mse") or {}
        self.assertTrue(mse.get("h264aac"),
                        "Chromium (%s) has no H.264/AAC in MSE: %r" % (result.get("browser"), mse))
        self.assertTrue(result.get("streamListed"), "%s not in the page's stream list: %r" % (
            KEY, (result.get("last") or {}).get("streams")))
        self.assertTrue(result.get("ok"), where + "\nlast: %r\nconsole: %r" % (
            result.get("last"), result.get("console")[-10:]))
        self.assertEqual(result.get("pageErrors"), [], where)
        self.assertGreaterEqual(result["advancedS"], MIN_ADVANCE_S, where)
        # 30 fps source. Live catch-up (a seek or a faster rate) can move currentTime
        # faster than the wall clock, so frames are counted against wall time: at
        # least half the source rate while playing, and a second's worth in all.
        self.assertGreaterEqual(result["framesDecoded"], max(30, int(result["wallS"] * 15)), where)
        end = result["end"]
        self.assertEqual((end["videoWidth"], end["videoHeight"]), (1280, 720), where)
        self.assertEqual(end["state"], "playing", where)
        self.assertGreater(end["pageFrames"], 0, "#frames not updated")
        # Software decoding on a busy machine drops some frames; a broken stream drops most.
        self.assertLessEqual(end["droppedVideoFrames"], end["totalVideoFrames"] // 2, where)
        self.assertIsNotNone(end["latencyMs"], "#latency shows nothing: %r" % end)
        return end

    def skipUnlessServed(self, path):
        """Skip when the server answers 404 for path (HLS not there yet)."""
        last = {}

        def answered():
            last["status"], _ = h.http_status(self.srv.http_port, path)
            return last["status"] != 404
        try:
            h.wait_until(answered, 8, 0.5, "%s to answer non-404" % path)
        except AssertionError:
            self.skipTest("GET %s answers 404: HLS/LL-HLS is not served by this build yet" % path)

    def test_static_files(self):
        status, headers, body = h.http_get(self.srv.http_url("/"))
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"), headers)
        self.assertIn(b'src="/app.js"', body)
        etag = headers.get("etag")
        self.assertTrue(etag and etag.startswith('"'), headers)
        status, headers, body = h.http_get(self.srv.http_url("/"), headers={"If-None-Match": etag})
        self.assertEqual((status, body), (304, b""))
        for path, size in (("/app.js", 1000), ("/style.css", 500),
                           ("/vendor/hls.min.js", 100000), ("/vendor/mpegts.js", 100000)):
            status, headers, body = h.http_get(self.srv.http_url(path), limit=8 << 20)
            self.assertEqual(status, 200, path)
            self.assertGreater(len(body), size, path)
            self.assertEqual(int(headers["content-length"]), len(body), path)
            self.assertRegex(headers["content-type"], r"^text/(javascript|css)", path)
            self.assertIn("cache-control", headers, path)
        status, _, body = h.http_get(self.srv.http_url("/vendor/nope.js"))
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(body).get("error"), "no such resource: /vendor/nope.js")

    def test_flv_plays(self):
        end = self.assertPlayed(run_page(self.srv, "stream=live/demo&proto=flv&autoplay=1&muted=1"),
                                "flv")
        self.assertIn("buffer", end["latencyKind"])
        self.assertTrue(0 <= end["latencyMs"] < 10000, end)

    def test_hls_plays(self):
        self.skipUnlessServed("/live/demo.m3u8")
        end = self.assertPlayed(run_page(self.srv, "stream=live/demo&proto=hls&autoplay=1&muted=1"),
                                "hls")
        self.assertTrue(0 < end["latencyMs"] < 30000, end)

    def test_llhls_plays(self):
        self.skipUnlessServed("/live/demo/ll.m3u8")
        end = self.assertPlayed(
            run_page(self.srv, "stream=live/demo&proto=llhls&autoplay=1&muted=1"), "llhls")
        self.assertTrue(0 < end["latencyMs"] < 30000, end)

    def test_missing_player_library_is_reported(self):
        root = h.make_tmpdir("roomcast-web-")
        for f in ("index.html", "app.js", "style.css"):
            shutil.copy(os.path.join(WEB_ROOT, f), root)
        with h.Server(sets={"web.root": root}, name="roomcast-nolib") as srv:
            srv.wait_for_log(["web: player library", "mpegts.js", "missing"])
            status, _, body = h.http_get(srv.http_url("/vendor/mpegts.js"))
            self.assertEqual(status, 404)
            self.assertIn(b"player library missing", body)
            result = run_page(srv, "stream=live/demo&proto=flv&autoplay=1&muted=1",
                              expect="error", stream=None, timeout=20, web_root=WEB_ROOT)
            self.assertTrue(result.get("ok"), result.get("reason"))
            self.assertIn("player library missing: mpegts.js", result["last"]["status"])


if __name__ == "__main__":
    h.main()
