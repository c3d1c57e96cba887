# The caster's ABR ladder (issue 16 points 2-4): a [[mixer.profile]] starts a
# pipeline on a pushed stream; each rung is a derived stream "{name}_{h}p" in the
# source's group, read back over HTTP-FLV with ffprobe: exact size, frame rate, bit
# rate near its target, keyframes at the source's pts; the master playlist lists
# them; the publisher leaving drains the ladder and a new push starts it again while
# a rung's viewer stays connected. Owner: integration tests. Real time: ~60 s.
import concurrent.futures as cf
import time

import harness as h

RUNGS = [(360, 640, 600), (240, 426, 300)]  # height, width (16:9 of 1280x720), kbps
PROFILE = """
[[mixer.profile]]
name = "ci"
streams = ["live/demo"]
preset = "ultrafast"
rungs = [ { height = 360, fps = 30, kbps = 600 }, { height = 240, fps = 30, kbps = 300 } ]
"""


def packets(url, seconds, timeout=40):
    """Video packets (pts ms, key) and the stream's facts over `seconds` of a live URL."""
    data = h.ffprobe_json(["-select_streams", "v:0", "-show_entries",
                           "packet=pts_time,flags,size:stream=width,height,codec_name",
                           "-read_intervals", "%%+%d" % seconds, url], timeout)
    pk = [(round(float(p["pts_time"]) * 1000), "K" in p.get("flags", ""), int(p["size"]))
          for p in data.get("packets", []) if p.get("pts_time") not in (None, "N/A")]
    return data.get("streams", [{}])[0], pk


class MixerLadderTest(h.IntegrationTest):
    def config(self):
        return h.base_config_text() + PROFILE

    def wait_rungs(self, srv, timeout=20):
        def ready():
            streams = {s["key"]: s for s in srv.api_streams().get("streams", [])}
            got = [streams.get("live/demo_%dp" % r[0]) for r in RUNGS]
            if all(s and (s.get("video") or {}).get("width") for s in got):
                return got
            return None
        return h.wait_until(ready, timeout, 0.2, "the rungs live with video")

    def test_ladder_from_a_profile(self):
        with h.Server(config_text=self.config()) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            rungs = self.wait_rungs(srv)
            for s, (height, width, kbps) in zip(rungs, RUNGS):
                self.assertEqual(s["origin"], "mixer", s)
                self.assertEqual(s["group"], "live/demo", s)
                self.assertEqual((s["video"]["width"], s["video"]["height"]), (width, height))
            source = srv.api_stream("live/demo")
            self.assertEqual(source.get("renditions"),
                             ["live/demo_360p", "live/demo_240p"], source)
            self.assertEqual(source["origin"], "push")

            # Each rung and the source over HTTP-FLV, read at the same time.
            urls = [srv.flv_url("demo")] + [srv.flv_url("demo_%dp" % r[0]) for r in RUNGS]
            with cf.ThreadPoolExecutor(len(urls)) as pool:
                got = list(pool.map(lambda u: packets(u, 9), urls))
            src_keys = {p for p, k, _ in got[0][1] if k}
            h.log("source keys: %s" % sorted(src_keys))
            self.assertGreaterEqual(len(src_keys), 3)
            for (stream, pk), (height, width, kbps) in zip(got[1:], RUNGS):
                where = "%dp" % height
                self.assertEqual((stream.get("codec_name"), stream.get("width"),
                                  stream.get("height")), ("h264", width, height), where)
                pts = sorted(p for p, _, _ in pk)
                span = (pts[-1] - pts[0]) / 1000
                self.assertGreater(span, 6, where)
                fps = (len(pts) - 1) / span
                self.assertAlmostEqual(fps, 30, delta=1.5, msg=where)
                kbit = sum(s for _, _, s in pk) * 8 / 1000 / span
                h.log("%s: %.1f fps, %.0f kbit/s over %.1f s" % (where, fps, kbit, span))
                self.assertAlmostEqual(kbit, kbps, delta=kbps * 0.3, msg=where)
                keys = {p for p, k, _ in pk if k}
                # keys of the rung inside the window both readers saw: the source's
                lo = max(min(pts), min(p for p, _, _ in got[0][1]))
                hi = min(max(pts), max(p for p, _, _ in got[0][1]))
                common_src = {k for k in src_keys if lo <= k <= hi}
                common_rung = {k for k in keys if lo <= k <= hi}
                h.log("%s keys: %s" % (where, sorted(keys)))
                self.assertTrue(common_src, where)
                self.assertEqual(common_rung, common_src, where)

            # The master playlist lists the source and both rungs.
            st, _, body = h.http_get(srv.http_url("/live/demo/master.m3u8"))
            self.assertEqual(st, 200)
            text = body.decode()
            h.log(text)
            self.assertEqual(text.count("#EXT-X-STREAM-INF"), 3, text)
            for height, width, _ in RUNGS:
                self.assertIn("RESOLUTION=%dx%d" % (width, height), text)
                self.assertIn("demo_%dp.m3u8" % height, text)

            # LL-HLS: the master lists the rungs, and each rung's playlist reports
            # its siblings (RFC 8216bis EXT-X-RENDITION-REPORT) for a fast switch.
            st, _, body = h.http_get(srv.http_url("/live/demo/ll/master.m3u8"))
            self.assertEqual(st, 200)
            self.assertEqual(body.decode().count("#EXT-X-STREAM-INF"), 3, body)
            st, _, body = h.http_get(srv.http_url("/live/demo_240p/ll.m3u8"))
            self.assertEqual(st, 200)
            reports = [l for l in body.decode().splitlines()
                       if l.startswith("#EXT-X-RENDITION-REPORT:")]
            h.log("240p reports: %r" % reports)
            self.assertEqual(len(reports), 2, body)
            self.assertTrue(any('URI="../demo/ll.m3u8"' in r for r in reports), reports)
            self.assertTrue(any('URI="../demo_360p/ll.m3u8"' in r for r in reports), reports)

            # The publisher leaves: the ladder drains; a rung viewer stays connected
            # through the grace period and gets frames again after a new push.
            viewer = h.FlvHttpReader(srv.http_port, "/live/demo_240p.flv")
            viewer.start()
            self.addCleanup(viewer.stop)
            h.wait_until(lambda: viewer.video_count() > 10, 10, 0.1, "rung viewer frames")
            mark = srv.log_mark()
            pub.kill()
            srv.wait_for_log(r"caster live/demo: the source's publisher left", 10, mark)
            time.sleep(1.5)
            before = viewer.video_count()
            self.assertFalse(viewer.ended.is_set(), "the rung viewer was dropped: %r" % viewer.error)
            pub2 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher2").start()
            self.addCleanup(pub2.kill)
            h.wait_until(lambda: viewer.video_count() > before + 30, 15, 0.2,
                         "rung frames after the new push")
            self.assertFalse(srv.find_log(r"caster live/demo: (decode|filter|encode|plan)"),
                             "a stage failed")

    def test_audio_transcoded_to_aac_at_the_profiles_rate(self):
        """audio = "aac": the source's 128 kbit/s AAC decoded once and encoded at
        audio_kbps into every rung, timed with the video."""
        config = h.base_config_text() + PROFILE.replace(
            'preset = "ultrafast"', 'preset = "ultrafast"\naudio = "aac"\naudio_kbps = 64')
        with h.Server(config_text=config) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            self.wait_rungs(srv)
            data = h.ffprobe_json(["-select_streams", "a:0", "-show_entries",
                                   "packet=pts_time,size:stream=codec_name,profile,sample_rate,"
                                   "channels", "-read_intervals", "%+8",
                                   srv.flv_url("demo_240p")], 40)
            stream = data["streams"][0]
            self.assertEqual((stream["codec_name"], stream["profile"], stream["sample_rate"],
                              stream["channels"]), ("aac", "LC", "48000", 2), stream)
            pk = [(float(p["pts_time"]), int(p["size"])) for p in data["packets"]]
            span = pk[-1][0] - pk[0][0]
            self.assertGreater(span, 6)
            kbit = sum(s for _, s in pk) * 8 / 1000 / span
            h.log("240p audio: %.1f kbit/s over %.1f s, %d frames" % (kbit, span, len(pk)))
            self.assertAlmostEqual(kbit, 64, delta=16)  # not the source's 128
            self.assertAlmostEqual(len(pk) / span, 48000 / 1024, delta=2)
            st, _, body = h.http_get(srv.http_url("/api/v1/streams/live/demo_240p"))
            self.assertEqual(h.json.loads(body)["audio"]["codec"], "aac")


if __name__ == "__main__":
    h.main()
