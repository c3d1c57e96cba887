# LL-HLS (fMP4 parts) from the real server: ffmpeg decodes the playlist; parts,
# preload hint and server control obey RFC 8216bis as checked here; blocking
# reloads return only when the asked part exists, too-far requests get 400,
# malformed ones 400, and a stream ending under a held request answers it.
# Owner: integration tests. Real time: ~45 s.
import re
import subprocess
import threading
import time

import harness as h

PART_MS = 333


def attrs(line):
    return dict(re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))


def parse(text):
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    assert lines[0] == "#EXTM3U", text[:80]
    pl = {"segments": [], "parts": [], "hint": None, "ended": False, "map": None}
    msn = None
    cur_parts = []
    for l in lines[1:]:
        if l.startswith("#EXT-X-TARGETDURATION:"):
            pl["target"] = int(l.split(":")[1])
        elif l.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            msn = pl["sequence"] = int(l.split(":")[1])
        elif l.startswith("#EXT-X-PART-INF:"):
            pl["part_target"] = float(attrs(l)["PART-TARGET"])
        elif l.startswith("#EXT-X-SERVER-CONTROL:"):
            pl["control"] = attrs(l)
        elif l.startswith("#EXT-X-MAP:"):
            pl["map"] = attrs(l)["URI"].strip('"')
        elif l.startswith("#EXT-X-PART:"):
            a = attrs(l)
            cur_parts.append({"duration": float(a["DURATION"]), "uri": a["URI"].strip('"'),
                              "independent": a.get("INDEPENDENT") == "YES"})
        elif l.startswith("#EXT-X-PRELOAD-HINT:"):
            pl["hint"] = attrs(l)["URI"].strip('"')
        elif l.startswith("#EXTINF:"):
            pending = float(l.split(":")[1].rstrip(","))
        elif l == "#EXT-X-ENDLIST":
            pl["ended"] = True
        elif not l.startswith("#"):
            pl["segments"].append({"msn": msn, "duration": pending, "uri": l, "parts": cur_parts})
            pl["parts"] += cur_parts
            cur_parts = []
            msn += 1
    pl["open_parts"] = cur_parts
    pl["parts"] += cur_parts
    pl["next_msn"] = msn
    return pl


def hint_position(uri):
    m = re.search(r"(\d+)\.(\d+)\.m4s$", uri)
    return int(m.group(1)), int(m.group(2))


class LlHlsTest(h.IntegrationTest):
    def get(self, srv, path, timeout=10):
        return h.http_get(srv.http_url(path), timeout=timeout, limit=64 << 20)

    def playlist(self, srv, query=""):
        st, headers, body = self.get(srv, "/live/demo/ll.m3u8" + query)
        self.assertEqual(st, 200, body[:200])
        return parse(body.decode())

    def test_parts_blocking_reload_and_decode(self):
        with h.Server(sets={"hls.part_ms": PART_MS, "hls.segment_ms": 2000}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            pl = h.wait_until(lambda: (lambda p: p if p["segments"] else None)(self.playlist(srv)),
                              15, 0.3, "a complete LL-HLS segment")
            self.assertEqual(pl["control"].get("CAN-BLOCK-RELOAD"), "YES")
            self.assertAlmostEqual(pl["part_target"], PART_MS / 1000, delta=0.001)
            self.assertGreaterEqual(float(pl["control"]["PART-HOLD-BACK"]), 3 * pl["part_target"])
            self.assertIsNotNone(pl["hint"], "no EXT-X-PRELOAD-HINT")
            for p in pl["parts"]:
                self.assertLessEqual(p["duration"], pl["part_target"] + 1e-9, p)
            for s in pl["segments"]:
                self.assertLessEqual(round(s["duration"]), pl["target"])
                if s["parts"]:
                    self.assertTrue(s["parts"][0]["independent"], "a segment starts independent")
                    self.assertAlmostEqual(sum(p["duration"] for p in s["parts"]), s["duration"],
                                           delta=0.01)

            # Blocking reload: ask for the hinted part; the answer must contain it.
            msn, part = hint_position(pl["hint"])
            t0 = time.monotonic()
            nxt = self.playlist(srv, "?_HLS_msn=%d&_HLS_part=%d" % (msn, part))
            waited = time.monotonic() - t0
            uris = [p["uri"] for p in nxt["parts"]]
            self.assertIn("ll/%d.%d.m4s" % (msn, part), uris, "held reload returned without the part")
            self.assertLess(waited, 3 * pl["target"], "held too long")
            # ... and asking for a part well ahead waits about that long.
            msn2, part2 = hint_position(nxt["hint"])
            t0 = time.monotonic()
            self.playlist(srv, "?_HLS_msn=%d&_HLS_part=%d" % (msn2, part2 + 2))
            self.assertGreater(time.monotonic() - t0, 0.4, "returned before the part existed")

            # The hinted part itself is held, then served.
            msn3, part3 = hint_position(self.playlist(srv)["hint"])
            st, headers, body = self.get(srv, "/live/demo/ll/%d.%d.m4s" % (msn3, part3))
            self.assertEqual(st, 200)
            self.assertEqual(headers.get("content-type"), "video/mp4")
            self.assertIn(b"moof", body[:64])

            # Too far ahead, malformed: 400 with a JSON error.
            for q in ("?_HLS_msn=%d" % (msn3 + 5), "?_HLS_msn=abc", "?_HLS_part=1",
                      "?_HLS_msn=1&_HLS_part=-1"):
                st, _, body = self.get(srv, "/live/demo/ll.m3u8" + q)
                self.assertEqual(st, 400, q)
                self.assertIn(b'"error"', body)

            # Init + a whole segment decode in ffprobe with the right streams.
            st, _, init = self.get(srv, "/live/demo/" + pl["map"])
            self.assertEqual(st, 200)
            seg = pl["segments"][-1]
            st, _, data = self.get(srv, "/live/demo/" + seg["uri"])
            self.assertEqual(st, 200)
            path = h.make_tmpdir() + "/seg.mp4"
            with open(path, "wb") as f:
                f.write(init + data)
            self.assertMediaStreams(h.ffprobe_streams(path), "LL-HLS segment")
            dur = float(h.ffprobe_json(["-show_format", path])["format"]["duration"])
            self.assertAlmostEqual(dur, seg["duration"], delta=0.05 * seg["duration"] + 0.05)

            # ffmpeg plays the LL-HLS playlist: no errors, expected frames.
            v = h.Viewer(srv.http_url("/live/demo/ll.m3u8"), duration=6, name="llhls-viewer").start()
            self.assertEqual(v.wait(60), 0, v.output()[-2000:])
            self.assertEqual(v.error_lines(), [], "decode errors over LL-HLS")
            self.assertFrameCount(v.frames(), 180, "llhls-viewer")

    def test_held_request_answered_when_the_stream_ends(self):
        with h.Server(sets={"stream.reconnect_grace_ms": 500, "hls.keep_ended_ms": 5000}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            pl = h.wait_until(lambda: (lambda p: p if p["hint"] else None)(self.playlist(srv)),
                              15, 0.3, "an LL-HLS playlist")
            msn, _ = hint_position(pl["hint"])
            result = {}

            def held():
                result["r"] = self.get(srv, "/live/demo/ll.m3u8?_HLS_msn=%d&_HLS_part=0" % (msn + 2),
                                       timeout=20)
            t = threading.Thread(target=held)
            t.start()
            time.sleep(0.3)
            pub.kill()
            t.join(25)
            self.assertFalse(t.is_alive(), "the held request hung after the stream ended")
            st, _, body = result["r"]
            self.assertEqual(st, 200)
            self.assertIn(b"#EXT-X-ENDLIST", body)


if __name__ == "__main__":
    h.main()
