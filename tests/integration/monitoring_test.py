# Stream monitoring (M5): the "health" of a stream in GET /api/v1/streams, measured
# on a real ffmpeg push of the harness's source at -re and compared with what
# ffprobe says of that source; a SIGSTOP of the pusher is one stall, not a gap.
# Owner: integration tests. Real time: ~25 s.
import os
import signal
import time

import harness as h

KEY = "live/demo"
AUDIO_KEY = "live/radio"
STOP_S = 3.0


def source_facts():
    """fps, bitrate (audio + video payload, bit/s), GOP (ms) of the source file."""
    data = h.ffprobe_json(["-show_entries", "packet=stream_index,dts_time,size,flags:"
                           "stream=index,codec_type", h.source_media()], timeout=60)
    video = [s["index"] for s in data["streams"] if s["codec_type"] == "video"][0]
    packets = data["packets"]
    vdts = [float(p["dts_time"]) for p in packets if p["stream_index"] == video]
    keys = [float(p["dts_time"]) for p in packets
            if p["stream_index"] == video and "K" in p.get("flags", "")]
    duration = max(float(p["dts_time"]) for p in packets) - min(vdts)
    gops = [round((b - a) * 1000) for a, b in zip(keys, keys[1:])]
    return {"fps": (len(vdts) - 1) / (vdts[-1] - vdts[0]),
            "bps": sum(int(p["size"]) for p in packets) * 8 / duration,
            "gop_ms": max(set(gops), key=gops.count)}


class MonitoringTest(h.IntegrationTest):
    def health(self, srv, key=KEY):
        s = srv.api_stream(key)
        self.assertIsNotNone(s, "%s not in /api/v1/streams" % key)
        self.assertIn("health", s)
        return s["health"]

    def test_health_of_a_pushed_stream_and_a_stall(self):
        src = source_facts()
        h.log("source: %r" % src)
        with h.Server() as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            radio = h.Publisher(srv.rtmp_url("radio"), loop=True, name="audio-only",
                                extra=["-vn"]).start()
            self.addCleanup(radio.kill)
            srv.wait_stream()
            t_live = time.monotonic()

            # The shape, before the windows are full.
            hl = self.health(srv)
            self.assertEqual(set(hl), {
                "fps_1s", "fps_10s", "bitrate_kbps_1s", "bitrate_kbps_10s", "gaps", "last_gap",
                "stalls", "last_stall", "stalled_for_ms", "keyframe_interval_ms"})
            self.assertEqual(set(hl["keyframe_interval_ms"]), {"last", "mean"})

            # 11 s of media: the 10 s window is full.
            time.sleep(max(0.0, 11.5 - (time.monotonic() - t_live)))
            hl = self.health(srv)
            h.log("health after 11 s: %r" % hl)
            self.assertAlmostEqual(hl["fps_10s"], src["fps"], delta=src["fps"] * 0.1)
            # one second is at the mercy of the pusher's pacing on a busy machine
            self.assertAlmostEqual(hl["fps_1s"], src["fps"], delta=src["fps"] * 0.3)
            self.assertAlmostEqual(hl["bitrate_kbps_10s"], src["bps"] / 1000,
                                   delta=src["bps"] / 1000 * 0.15)
            self.assertAlmostEqual(hl["bitrate_kbps_1s"], src["bps"] / 1000,
                                   delta=src["bps"] / 1000 * 0.35)
            self.assertAlmostEqual(hl["keyframe_interval_ms"]["last"], src["gop_ms"], delta=100)
            self.assertAlmostEqual(hl["keyframe_interval_ms"]["mean"], src["gop_ms"], delta=100)
            self.assertEqual((hl["gaps"], hl["last_gap"]), (0, None))
            self.assertEqual((hl["stalls"], hl["last_stall"], hl["stalled_for_ms"]), (0, None, 0))

            # The single-stream GET has the same health.
            status, _, body = h.http_get(srv.http_url("/api/v1/streams/" + KEY))
            self.assertEqual(status, 200)
            self.assertEqual(set(h.json.loads(body)["health"]), set(hl))

            # An audio-only stream: no frames, no keyframes, its bitrate measured.
            ha = self.health(srv, AUDIO_KEY)
            self.assertEqual((ha["fps_1s"], ha["fps_10s"]), (0, 0))
            self.assertEqual(ha["keyframe_interval_ms"], {"last": None, "mean": None})
            self.assertTrue(80 <= ha["bitrate_kbps_10s"] <= 180, repr(ha))

            # The pusher freezes for 3 s: stalled while it lasts, counted when the
            # media resumes (ffmpeg -re then sends the 3 s it owes in a burst, with
            # timestamps that go on where they stopped: no gap).
            t_stop_unix = time.time() * 1000
            t_stop = time.monotonic()
            os.kill(pub.proc.pid, signal.SIGSTOP)
            try:
                time.sleep(2.6)
                hl = self.health(srv)
                stopped_ms = (time.monotonic() - t_stop) * 1000
                h.log("health %.0f ms into the stop: %r" % (stopped_ms, hl))
                self.assertEqual(hl["stalls"], 0)
                self.assertAlmostEqual(hl["stalled_for_ms"], stopped_ms, delta=200)
                self.assertEqual(hl["fps_1s"], 0)
                time.sleep(max(0.0, STOP_S - (time.monotonic() - t_stop)))
            finally:
                os.kill(pub.proc.pid, signal.SIGCONT)

            def counted():
                x = self.health(srv)
                return x if x["stalls"] >= 1 else None
            hl = h.wait_until(counted, 5, 0.1, "the stall counted")
            time.sleep(1.5)  # the catch-up burst and a little more
            hl = self.health(srv)
            h.log("health after the stop: %r" % hl)
            self.assertEqual(hl["stalls"], 1)
            self.assertAlmostEqual(hl["last_stall"]["duration_ms"], STOP_S * 1000, delta=300)
            self.assertAlmostEqual(hl["last_stall"]["at_ms"], t_stop_unix, delta=300)
            self.assertEqual(hl["stalled_for_ms"], 0)
            self.assertEqual((hl["gaps"], hl["last_gap"]), (0, None))
            self.assertAlmostEqual(hl["keyframe_interval_ms"]["last"], src["gop_ms"], delta=100)
            self.assertTrue(pub.running(), pub.output()[-1000:])
            self.assertEqual(self.health(srv, AUDIO_KEY)["stalls"], 0)

            # The publisher gone: no stall is reported for the silence.
            pub.kill()
            time.sleep(2.5)
            hl = self.health(srv)
            self.assertEqual((hl["stalls"], hl["stalled_for_ms"]), (1, 0))


if __name__ == "__main__":
    h.main()
