# HLS (MPEG-TS) from the real server: ffmpeg decodes it with no errors and the
# expected duration; the playlist obeys RFC 8216 as a parser here checks it;
# a publisher reconnect gives EXT-X-DISCONTINUITY; the end gives EXT-X-ENDLIST;
# bad requests get JSON errors. Owner: integration tests. Real time: ~60 s.
import json
import re
import subprocess
import time
import urllib.parse

import harness as h

SEGMENT_MS = 1000


def parse_playlist(text):
    """Media playlist -> dict with the tags this test checks; raises on bad syntax."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    assert lines and lines[0] == "#EXTM3U", "no #EXTM3U header: %r" % text[:80]
    out = {"target": None, "sequence": None, "disc_sequence": 0, "segments": [],
           "ended": False}
    pending = {}
    for l in lines[1:]:
        if l.startswith("#EXT-X-TARGETDURATION:"):
            out["target"] = int(l.split(":", 1)[1])
        elif l.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            out["sequence"] = int(l.split(":", 1)[1])
        elif l.startswith("#EXT-X-DISCONTINUITY-SEQUENCE:"):
            out["disc_sequence"] = int(l.split(":", 1)[1])
        elif l == "#EXT-X-DISCONTINUITY":
            pending["discontinuity"] = True
        elif l.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pending["pdt"] = l.split(":", 1)[1]
        elif l.startswith("#EXTINF:"):
            pending["duration"] = float(l.split(":", 1)[1].rstrip(",").split(",")[0])
        elif l == "#EXT-X-ENDLIST":
            out["ended"] = True
        elif not l.startswith("#"):
            assert "duration" in pending, "URI without EXTINF: %s" % l
            pending["uri"] = l
            out["segments"].append(pending)
            pending = {}
    assert out["target"] is not None and out["sequence"] is not None, text
    return out


class HlsTest(h.IntegrationTest):
    def playlist(self, srv, name="demo"):
        status, headers, body = h.http_get(srv.http_url("/live/%s.m3u8" % name))
        self.assertEqual(status, 200, body[:200])
        self.assertIn("mpegurl", headers.get("content-type", ""))
        self.assertIn("no-cache", headers.get("cache-control", ""))
        return parse_playlist(body.decode())

    def check_rules(self, pl, previous=None):
        for s in pl["segments"]:
            # RFC 8216 4.3.3.1: EXTINF rounded <= target duration
            self.assertLessEqual(round(s["duration"]), pl["target"], pl)
            self.assertIn("pdt", s, "every segment carries EXT-X-PROGRAM-DATE-TIME")
            self.assertRegex(s["pdt"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        if previous and previous["segments"] and pl["segments"]:
            # the window slides by whole segments: sequence numbers stay consistent
            uri_seq = {s["uri"]: previous["sequence"] + i for i, s in enumerate(previous["segments"])}
            for i, s in enumerate(pl["segments"]):
                if s["uri"] in uri_seq:
                    self.assertEqual(uri_seq[s["uri"]], pl["sequence"] + i, (previous, pl))
            self.assertGreaterEqual(pl["sequence"], previous["sequence"])
            self.assertEqual(pl["target"], previous["target"], "target duration changed")

    def test_decode_duration_and_playlist_rules(self):
        with h.Server(sets={"hls.segment_ms": SEGMENT_MS, "hls.window": 5}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            t0 = time.monotonic()
            first = self.playlist(srv)  # held until the first segment exists
            self.assertLess(time.monotonic() - t0, 5, "first playlist took too long")
            self.assertGreaterEqual(len(first["segments"]), 1)
            self.check_rules(first)

            # ffmpeg plays 8 s of the live playlist: no errors, ~240 frames
            v = h.Viewer(srv.http_url("/live/demo.m3u8"), duration=8, name="hls-viewer").start()
            rc = v.wait(60)
            self.assertEqual(rc, 0, v.output()[-2000:])
            self.assertEqual(v.error_lines(), [], "decode errors over HLS")
            self.assertFrameCount(v.frames(), 240, "hls-viewer")

            # the API counts the playlist pollers of this test (one connection per poll)
            v = srv.api_stream("live/demo")["viewers"]
            self.assertGreaterEqual(v["hls"], 1, v)
            self.assertEqual(v["llhls"], 0, v)

            # watch the playlist slide for a few seconds
            prev = self.playlist(srv)
            seq0 = prev["sequence"]
            seen = set()
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                pl = self.playlist(srv)
                self.check_rules(pl, prev)
                self.assertLessEqual(len(pl["segments"]), 5, "window of 5 exceeded")
                seen.update(pl["sequence"] + i for i in range(len(pl["segments"])))
                prev = pl
                time.sleep(0.4)
            # the source has a 2 s GOP: about 4 new segments in 8 s
            self.assertGreaterEqual(prev["sequence"] - seq0, 2,
                                    "the window did not slide: %r" % sorted(seen))

            # each segment: decodable alone, duration as announced (+-5%), CORS, immutable
            last = prev["segments"][-1]
            status, headers, body = h.http_get(srv.http_url("/live/" + last["uri"]), limit=64 << 20)
            self.assertEqual(status, 200)
            self.assertEqual(headers.get("content-type"), "video/mp2t")
            self.assertIn("immutable", headers.get("cache-control", ""))
            self.assertEqual(headers.get("access-control-allow-origin"), "*")
            seg = h.make_tmpdir() + "/seg.ts"
            with open(seg, "wb") as f:
                f.write(body)
            self.assertMediaStreams(h.ffprobe_streams(seg), "segment")
            dur = float(h.ffprobe_json(["-show_format", seg])["format"]["duration"])
            self.assertAlmostEqual(dur, last["duration"], delta=0.05 * last["duration"] + 0.05)
            dec = subprocess.run(["ffmpeg", "-v", "error", "-i", seg, "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(dec.stderr.strip(), "", "segment decode errors")

            # consecutive segments concatenate cleanly (continuity counters, PTS)
            cat = h.make_tmpdir() + "/cat.ts"
            total = 0.0
            with open(cat, "wb") as f:
                for s in prev["segments"][-3:]:
                    st, _, b = h.http_get(srv.http_url("/live/" + s["uri"]), limit=64 << 20)
                    self.assertEqual(st, 200)
                    f.write(b)
                    total += s["duration"]
            dec = subprocess.run(["ffmpeg", "-v", "warning", "-i", cat, "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(dec.stderr.strip(), "", "warnings decoding 3 segments in a row")
            dur = float(h.ffprobe_json(["-show_format", cat])["format"]["duration"])
            self.assertAlmostEqual(dur, total, delta=0.05 * total)

    def test_reconnect_discontinuity_and_end(self):
        with h.Server(sets={"hls.segment_ms": SEGMENT_MS, "stream.reconnect_grace_ms": 3000,
                            "hls.keep_ended_ms": 5000}) as srv:
            p1 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher-1").start()
            self.addCleanup(p1.kill)
            srv.wait_stream()
            h.wait_until(lambda: len(self.playlist(srv)["segments"]) >= 2, 15, 0.3, "2 segments")
            p1.kill()
            time.sleep(0.5)
            p2 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher-2").start()
            self.addCleanup(p2.kill)

            def has_discontinuity():
                pl = self.playlist(srv)
                return pl if any(s.get("discontinuity") for s in pl["segments"]) else None
            pl = h.wait_until(has_discontinuity, 15, 0.3, "EXT-X-DISCONTINUITY after reconnect")
            idx = [i for i, s in enumerate(pl["segments"]) if s.get("discontinuity")][0]
            self.assertGreater(idx, 0, "the discontinuity sits between the two publishers")
            # ffmpeg plays across it
            v = h.Viewer(srv.http_url("/live/demo.m3u8"), duration=4, name="hls-after").start()
            self.assertEqual(v.wait(60), 0, v.output()[-2000:])

            p2.stop()  # the stream ends after the grace period
            pl = h.wait_until(lambda: (lambda p: p if p["ended"] else None)(self.playlist(srv)),
                              15, 0.3, "EXT-X-ENDLIST after the stream ended")
            self.assertGreater(len(pl["segments"]), 0)
            # kept for hls.keep_ended_ms, then gone
            h.wait_until(lambda: h.http_get(srv.http_url("/live/demo.m3u8"))[0] == 404,
                         15, 0.5, "ended playlist expires")

    def test_mirrors_to_a_directory(self):
        import os
        d = h.make_tmpdir()
        with h.Server(sets={"hls.segment_ms": SEGMENT_MS, "hls.window": 3,
                            "hls.dir": d}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            path = os.path.join(d, "live", "demo.m3u8")
            # run long enough for segments to leave the window (3 + 3 kept)
            h.wait_until(lambda: os.path.exists(path) and
                         parse_playlist(open(path).read())["sequence"] >= 5, 30, 0.5,
                         "the playlist on disk to slide past segment 5")
            disk = parse_playlist(open(path).read())
            for seg in disk["segments"]:
                f = os.path.join(d, "live", seg["uri"])
                self.assertTrue(os.path.exists(f), "listed segment missing on disk: " + f)
                st, _, body = h.http_get(srv.http_url("/live/" + seg["uri"]), limit=64 << 20)
                if st == 200:
                    with open(f, "rb") as fh:
                        self.assertEqual(fh.read(), body, "disk and memory differ: " + seg["uri"])
            files = [n for n in os.listdir(os.path.join(d, "live", "demo")) if n.endswith(".ts")]
            self.assertLessEqual(len(files), 3 + 3 + 1, "old segments not deleted: %r" % files)
            self.assertNotIn("0.ts", files)

    def test_unwritable_directory_keeps_live_hls_going(self):
        import os
        d = h.make_tmpdir()
        blocker = os.path.join(d, "file")
        open(blocker, "w").close()  # a file where a directory should be: mkdir fails
        with h.Server(sets={"hls.segment_ms": SEGMENT_MS, "hls.dir": blocker + "/hls"}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            srv.wait_for_log([r"live/demo", r"cannot write to disk"], 15)
            pl = self.playlist(srv)
            self.assertGreaterEqual(len(pl["segments"]), 1)
            v = h.Viewer(srv.http_url("/live/demo.m3u8"), duration=3, name="hls-viewer").start()
            self.assertEqual(v.wait(60), 0, v.output()[-2000:])
            errors = [l for l in srv.log_text().splitlines() if "cannot write to disk" in l]
            self.assertEqual(len(errors), 1, "the disk error is logged once, not per segment")

    def test_master_playlist(self):
        """/{app}/{name}/master.m3u8 lists the stream with its measured bit rates,
        size and frame rate (RFC 8216 4.3.4.2: BANDWIDTH is required); its relative
        URI resolves to the media playlist, and ffprobe plays the master."""
        with h.Server(sets={"hls.segment_ms": SEGMENT_MS}) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            for url, version, uri in ((srv.http_url("/live/demo/master.m3u8"), 3, "../demo.m3u8"),
                                      (srv.http_url("/live/demo/ll/master.m3u8"), 9,
                                       "../../demo/ll.m3u8")):
                status, headers, body = h.http_get(url)  # held until a segment exists
                self.assertEqual(status, 200, body[:200])
                self.assertIn("mpegurl", headers.get("content-type", ""))
                lines = body.decode().splitlines()
                self.assertEqual(lines[:3], ["#EXTM3U", "#EXT-X-VERSION:%d" % version,
                                             "#EXT-X-INDEPENDENT-SEGMENTS"], body)
                self.assertEqual(len(lines), 5, body)
                self.assertTrue(lines[3].startswith("#EXT-X-STREAM-INF:"), body)
                # attribute-list (RFC 8216 4.2): quoted strings may hold commas
                attrs = dict(re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', lines[3].split(":", 1)[1]))
                self.assertEqual(attrs.get("RESOLUTION"), "1280x720", attrs)
                self.assertEqual(attrs.get("FRAME-RATE"), "30.000", attrs)
                # H.264 High (avc1.64xxxx) + AAC LC, as ffprobe sees the source.
                self.assertRegex(attrs.get("CODECS", ""), r'^"avc1\.64[0-9a-f]{4},mp4a\.40\.2"$', attrs)
                # The test source is ~3 Mbit/s of video + AAC; TS adds its overhead.
                self.assertTrue(500000 < int(attrs["AVERAGE-BANDWIDTH"]) <= int(attrs["BANDWIDTH"])
                                < 20000000, attrs)
                self.assertEqual(lines[4], uri)
                target = urllib.parse.urljoin(url, uri)
                st, _, text = h.http_get(target)
                self.assertEqual(st, 200, target)
                self.assertTrue(text.startswith(b"#EXTM3U"), text[:100])
            self.assertMediaStreams(h.ffprobe_streams(srv.http_url("/live/demo/master.m3u8")),
                                    "HLS master")
            st, _, body = h.http_get(srv.http_url("/live/nope/master.m3u8"))
            self.assertEqual(st, 404)
            self.assertIn("error", json.loads(body))

    def first_video_pts(self, srv, name, uri):
        st, _, body = h.http_get(srv.http_url("/live/" + uri), limit=64 << 20)
        self.assertEqual(st, 200, "%s %s" % (name, uri))
        seg = h.make_tmpdir() + "/seg.ts"
        with open(seg, "wb") as f:
            f.write(body)
        packets = h.ffprobe_packets(seg, count=1)
        self.assertTrue(packets and "K" in packets[0]["flags"], (name, uri, packets))
        return packets[0]["pts_time"]

    def test_renditions_of_one_source_cut_alike(self):
        """Two streams of the same media with the same timestamps (-copyts), the
        second started 5 s into it: their segments (HLS and LL-HLS) share sequence
        numbers, and each shared number is the same stretch of media: the same
        first keyframe, the same duration (segments cut on the pts grid)."""
        # NOTE: ffmpeg sends the codec headers at 0 and b's media from 4 s on: a
        # high jump threshold keeps that step (smoothed by default), so b keeps the
        # file's timestamps, as a derived stream keeps its source's.
        with h.Server(sets={"hls.segment_ms": 2000, "hls.window": 10,
                            "stream.timestamp_jump_ms": 60000}) as srv:
            a = h.Publisher(srv.rtmp_url("demo"), loop=True, name="publisher-a").start()
            self.addCleanup(a.kill)
            b = h.FfmpegProc(["-v", "error", "-re", "-ss", "5", "-copyts", "-i", h.source_media(),
                              "-c", "copy", "-f", "flv", srv.rtmp_url("demo_b")], "publisher-b")
            b.start()
            self.addCleanup(b.kill)
            srv.wait_stream("demo")
            srv.wait_stream("demo_b")

            def numbered(name):
                pl = self.playlist(srv, name)
                return {pl["sequence"] + i: s for i, s in enumerate(pl["segments"])}

            def shared():
                sa, sb = numbered("demo"), numbered("demo_b")
                common = sorted(set(sa) & set(sb) - {min(sb)})  # b's first starts mid-slot
                return (sa, sb, common) if len(common) >= 2 else None
            sa, sb, common = h.wait_until(shared, 40, 0.5, "two segments numbered alike")
            h.log("shared sequence numbers %r (b from %d)" % (common, min(sb)))
            for seq in common:
                self.assertAlmostEqual(sa[seq]["duration"], sb[seq]["duration"], delta=0.002,
                                       msg="segment %d" % seq)
                self.assertEqual(self.first_video_pts(srv, "demo", sa[seq]["uri"]),
                                 self.first_video_pts(srv, "demo_b", sb[seq]["uri"]),
                                 "segment %d starts at another frame" % seq)

            def ll_numbered(name):
                st, _, body = h.http_get(srv.http_url("/live/%s/ll.m3u8" % name))
                self.assertEqual(st, 200, body[:200])
                out, seq, dur = {}, None, None
                for line in body.decode().splitlines():
                    if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
                        seq = int(line.split(":")[1])
                    elif line.startswith("#EXTINF:"):
                        dur = float(line.split(":")[1].rstrip(","))
                    elif line and not line.startswith("#"):
                        out[seq], seq = dur, seq + 1
                return out
            la, lb = ll_numbered("demo"), ll_numbered("demo_b")
            ll_common = sorted(set(la) & set(lb) - {min(lb)})
            self.assertGreaterEqual(len(ll_common), 2, (la, lb))
            for seq in ll_common:
                self.assertAlmostEqual(la[seq], lb[seq], delta=0.002, msg="LL segment %d" % seq)

    def test_bad_requests(self):
        with h.Server() as srv:
            for path, status in (("/live/nope.m3u8", 404), ("/live/nope/0.ts", 404),
                                 ("/live/demo/x.ts", 400), ("/a/b/c.m3u8", 400)):
                st, headers, body = h.http_get(srv.http_url(path))
                self.assertEqual(st, status, path)
                self.assertIn("error", json.loads(body), path)
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()
            self.playlist(srv)
            st, _, body = h.http_get(srv.http_url("/live/demo/999999.ts"))
            self.assertEqual(st, 404)
            self.assertIn("error", json.loads(body))


if __name__ == "__main__":
    h.main()
