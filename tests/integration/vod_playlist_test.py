# VOD-to-live (issue 18 point 5, with its parts of 7-9): playlists of small
# generated files (320x180, 15 fps, 1 s, H.264 + AAC) played as live streams. An RTMP
# viewer of a three-file playlist (MP4, FLV, fragmented MP4) gets continuous timestamps (no gap over 1.5 frame
# intervals, never back) and exactly the files' summed frame count, with one
# sequence header; HLS marks no discontinuity for same-parameter files and one where
# the size changes; a corrupt file, a concat list named .mp4 and a truncated one are
# skipped (logged, counted)
# and the next plays; a deleted playlist's thread returns at once; a path outside the
# vod directory is a 400; the server's own fMP4 recording plays from record.dir.
# Owner: integration tests. Real time: ~24 s.
import os
import subprocess
import time

import harness as h
import room_fixture
import rtmp_client as rc

FPS = 15
FRAME_MS = 1000.0 / FPS
VIDEO, AUDIO = 9, 8  # RTMP message types


def make_clip(path, size="320x180", seconds=1):
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=size=%s:rate=%d:duration=%d" % (size, FPS, seconds), "-f", "lavfi", "-i",
         "sine=frequency=440:duration=%d" % seconds, "-c:v", "libx264", "-preset", "ultrafast",
         "-g", str(FPS), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k", "-shortest", path],
        check=True, timeout=30)


def make_truncated_clip(path, size):
    """A 2 s clip with its index first (faststart), cut in the middle of its 20th
    video frame, as a crash leaves a file. Returns its whole video frames."""
    whole = path + ".whole.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=size=%s:rate=%d:duration=2" % (size, FPS), "-f", "lavfi", "-i",
         "sine=frequency=440:duration=2", "-c:v", "libx264", "-preset", "ultrafast",
         "-g", str(FPS), "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "48k", "-shortest",
         "-movflags", "+faststart", whole], check=True, timeout=30)
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                        "packet=pos,size", "-of", "csv=p=0", whole],
                       stdout=subprocess.PIPE, check=True, timeout=30)
    packets = [tuple(int(v) for v in line.split(",")) for line in r.stdout.decode().split()]
    pos, size = packets[19]
    cut = pos + size // 2
    with open(whole, "rb") as f:
        data = f.read(cut)
    with open(path, "wb") as f:
        f.write(data)
    return sum(1 for p, n in packets if p + n <= cut)


def frame_count(path):
    r = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
                        "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", path],
                       stdout=subprocess.PIPE, check=True, timeout=30)
    return int(r.stdout.strip())


class VodPlaylistTest(room_fixture.RoomServerTest):
    @classmethod
    def setUpClass(cls):
        cls.media = h.make_tmpdir("roomcast-vod-")
        for name in ("a1", "a2", "a3"):
            make_clip(os.path.join(cls.media, name + ".mp4"))
        # The recorder's two formats: FLV and fragmented MP4 (the same media, remuxed).
        remux = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i"]
        subprocess.run(remux + [os.path.join(cls.media, "a2.mp4"), "-c", "copy",
                                os.path.join(cls.media, "a2.flv")], check=True, timeout=30)
        subprocess.run(remux + [os.path.join(cls.media, "a3.mp4"), "-c", "copy", "-movflags",
                                "frag_keyframe+empty_moov+default_base_moof",
                                os.path.join(cls.media, "a3f.mp4")], check=True, timeout=30)
        make_clip(os.path.join(cls.media, "small.mp4"), size="256x144")
        cls.cut_frames = make_truncated_clip(os.path.join(cls.media, "small_cut.mp4"), "256x144")
        with open(os.path.join(cls.media, "a1.mp4"), "rb") as f:
            head = f.read(4096)
        with open(os.path.join(cls.media, "corrupt.mp4"), "wb") as f:
            f.write(head[:64] + os.urandom(4096))  # an MP4 start, then noise
        # Not an MP4 but an FFmpeg concat list naming another file: a playlist plays only
        # MP4/FLV files, so FFmpeg must not follow it (its format is not probed).
        with open(os.path.join(cls.media, "list.mp4"), "w") as f:
            f.write("ffconcat version 1.0\nfile 'a1.mp4'\n")

    def server_sets(self):
        # A short grace period: the stream ends soon after its playlist, and HLS then
        # closes its last segment (ENDLIST).
        return {"vod.dir": '"%s"' % self.media, "hls.segment_ms": 1000,
                "stream.reconnect_grace_ms": 300}

    def playlist(self, key):
        st, js = self.api.call("GET", "/api/v1/playlists/" + key)
        self.assertEqual(st, 200, js)
        return js

    def watch(self, srv, name, key):
        """An RTMP viewer of live/`name` until the playlist ended: [(type, ts, seq)]."""
        c = rc.RtmpClient("127.0.0.1", srv.rtmp_port, timeout=5)
        self.addCleanup(c.close)
        sid = c.setup()
        c.play(name, sid)
        c.wait_status(["NetStream.Play.Start"])
        got, ended_at = [], None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if ended_at is None and self.playlist(key)["state"] == "ended":
                ended_at = time.monotonic()
            if ended_at is not None and time.monotonic() - ended_at > 0.5:
                break
            try:
                m = c.read_message(0.2)
            except Exception:  # socket.timeout: nothing this round
                continue
            if m.type == VIDEO:
                got.append(("v", m.timestamp, m.is_video_seq_header))
            elif m.type == AUDIO:
                got.append(("a", m.timestamp, m.is_audio_seq_header))
        return got

    def ended_hls(self, srv, name):
        """The HLS playlist of live/`name` once it has ended (every segment closed)."""
        def get():
            st, hdr, body = h.http_get(srv.http_url("/live/%s.m3u8" % name))
            return body.decode() if st == 200 and b"#EXT-X-ENDLIST" in body else None
        return h.wait_until(get, 5, 0.1, "HLS ENDLIST of " + name)

    def start_at(self, seconds):
        return int((time.time() + seconds) * 1000)

    def test_01_three_files_continuous_one_header_no_discontinuity(self):
        files = ["a1.mp4", "a2.flv", "a3f.mp4"]  # MP4, FLV, fragmented MP4
        want = sum(frame_count(os.path.join(self.media, f)) for f in files)
        with self.serve() as srv:
            # The first item waits for its time (the schedule), so the viewer is on first.
            items = [{"file": files[0], "start_at": self.start_at(1.5)}] + [
                {"file": f} for f in files[1:]]
            st, js = self.api.call("POST", "/api/v1/playlists",
                                   {"output": "live/vod", "items": items})
            self.assertEqual(st, 201, js)
            self.assertEqual(js["state"], "starting", js)
            h.wait_until(lambda: self.playlist("live/vod")["state"] == "waiting", 3, 0.05,
                         "waiting for start_at")
            got = self.watch(srv, "vod", "live/vod")
            js = self.playlist("live/vod")
            self.assertEqual((js["played"], js["failed"]), (3, 0), js)

            # HLS: no discontinuity between files of the same parameters.
            text = self.ended_hls(srv, "vod")
            self.assertGreaterEqual(text.count("#EXTINF"), 3, text)
            self.assertNotIn("#EXT-X-DISCONTINUITY\n", text)

            frames = [ts for kind, ts, seq in got if kind == "v" and not seq]
            headers = [ts for kind, ts, seq in got if kind == "v" and seq]
            self.assertEqual(len(frames), want, "frames: %r" % frames)
            self.assertEqual(len(headers), 1, "same parameters: one sequence header")
            gaps = [b - a for a, b in zip(frames, frames[1:])]
            self.assertTrue(all(g >= 0 for g in gaps), "timestamps went back: %r" % gaps)
            self.assertLessEqual(max(gaps), 1.5 * FRAME_MS, "gaps: %r" % gaps)
            audio = [ts for kind, ts, seq in got if kind == "a" and not seq]
            self.assertTrue(all(b >= a for a, b in zip(audio, audio[1:])), "audio went back")

    def test_02_corrupt_item_skipped_size_change_discontinuity_bad_paths(self):
        with self.serve() as srv:
            for bad in ("../a1.mp4", "/etc/passwd", "x/../../a1.mp4", ""):
                st, js = self.api.call("POST", "/api/v1/playlists",
                                       {"output": "live/bad", "items": [{"file": bad}]})
                self.assertEqual(st, 400, js)
                self.assertIn("items[0].file", js["error"])
            st, js = self.api.call("POST", "/api/v1/playlists",
                                   {"output": "live/bad", "items": [{"file": "a1.mp4"}]},
                                   auth=False)
            self.assertIn(st, (401, 403), js)
            self.assertEqual(self.api.call("GET", "/api/v1/playlists")[1]["playlists"], [])

            # A playlist waiting for its time stops at once when deleted.
            mark = srv.log_mark()
            st, js = self.api.call("POST", "/api/v1/playlists", {
                "output": "live/later", "items": [{"file": "a1.mp4",
                                                   "start_at": self.start_at(3600)}]})
            self.assertEqual(st, 201, js)
            h.wait_until(lambda: self.playlist("live/later")["state"] == "waiting", 3, 0.05,
                         "waiting for start_at")
            t0 = time.monotonic()
            self.assertEqual(self.api.call("DELETE", "/api/v1/playlists/live/later")[0], 200)
            srv.wait_for_log(r"playlist live/later: thread returned \(stopped\)", 2, mark)
            self.assertLess(time.monotonic() - t0, 1.0)

            # A corrupt file (does not open) and a truncated one (ends part-way): both
            # logged, counted and skipped; what follows plays.
            mark = srv.log_mark()
            items = [{"file": "a1.mp4", "start_at": self.start_at(1.5)},
                     {"file": "corrupt.mp4"}, {"file": "list.mp4"}, {"file": "small.mp4"},
                     {"file": "small_cut.mp4"}, {"file": "small.mp4"}]
            st, js = self.api.call("POST", "/api/v1/playlists",
                                   {"output": "live/mix", "items": items})
            self.assertEqual(st, 201, js)
            st, js = self.api.call("PATCH", "/api/v1/playlists/live/mix",
                                   {"items": [{"file": "../x.mp4"}]})
            self.assertEqual(st, 400, js)
            got = self.watch(srv, "mix", "live/mix")
            js = self.playlist("live/mix")
            self.assertEqual((js["played"], js["failed"]), (3, 3), js)
            self.assertEqual([e["file"] for e in js["errors"]],
                             ["corrupt.mp4", "list.mp4", "small_cut.mp4"])
            self.assertIn("part-way", js["errors"][2]["reason"])
            srv.wait_for_log(r"playlist live/mix: item 1 \(corrupt\.mp4\): .*skipped", 5, mark)
            srv.wait_for_log(r"playlist live/mix: item 4 \(small_cut\.mp4\): damaged part-way"
                             r".*skipped", 5, mark)

            frames = [ts for kind, ts, seq in got if kind == "v" and not seq]
            headers = [ts for kind, ts, seq in got if kind == "v" and seq]
            # The truncated file's whole frames play; the one cut short does not.
            want = sum(frame_count(os.path.join(self.media, f))
                       for f in ("a1.mp4", "small.mp4", "small.mp4")) + self.cut_frames
            self.assertEqual(len(frames), want)
            self.assertEqual(len(headers), 2, "the size changed: a new sequence header")
            gaps = [b - a for a, b in zip(frames, frames[1:])]
            self.assertTrue(all(g >= 0 for g in gaps), "timestamps went back: %r" % gaps)
            self.assertLessEqual(max(gaps), 1.5 * FRAME_MS, "gaps: %r" % gaps)

            text = self.ended_hls(srv, "mix")
            self.assertGreaterEqual(text.count("#EXTINF"), 2, text)
            self.assertEqual(text.count("#EXT-X-DISCONTINUITY\n"), 1, text)

            st, js = self.api.call("DELETE", "/api/v1/playlists/live/mix")
            self.assertEqual(st, 200, js)
            self.assertEqual(self.api.call("GET", "/api/v1/playlists/live/mix")[0], 404)

    def test_03_the_servers_own_recording_plays(self):
        rec = h.make_tmpdir("roomcast-vod-rec-")
        with self.serve(**{"record.dir": '"%s"' % rec, "record.streams": '["live/rec"]'}) as srv:
            clip = os.path.join(self.media, "a1.mp4")
            subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-re", "-i", clip, "-c", "copy",
                            "-f", "flv", srv.rtmp_url("rec")], check=True, timeout=30)
            # The recording is closed (its description written) once the stream ends.
            found = h.wait_until(lambda: [
                os.path.relpath(os.path.join(d, f), rec) for d, _, fs in os.walk(rec)
                for f in fs if f.endswith(".mp4.json")], 10, 0.1, "the closed recording")
            name = found[0][:-len(".json")]  # live/rec-<start>.mp4, found under record.dir
            st, js = self.api.call("POST", "/api/v1/playlists", {
                "output": "live/replay",
                "items": [{"file": name, "start_at": self.start_at(1.5)}]})
            self.assertEqual(st, 201, js)
            got = self.watch(srv, "replay", "live/replay")
            js = self.playlist("live/replay")
            self.assertEqual((js["played"], js["failed"]), (1, 0), js)
            frames = [ts for kind, ts, seq in got if kind == "v" and not seq]
            self.assertEqual(len(frames), frame_count(os.path.join(rec, name)))
            self.assertEqual(len(frames), frame_count(clip))


if __name__ == "__main__":
    import unittest
    unittest.main()
