# Push with ffmpeg, play with ffmpeg/ffprobe over RTMP and HTTP-FLV; stream API;
# BadName for a second publisher; late joiner starts on a keyframe; SIGTERM; an RTMP
# publisher whose 32-bit timestamps wrap plays on.
# Owner: integration tests. Real time: ~90 s.
import json
import os
import socket
import time

import harness as h
import rtmp_client as rc

KEY = "live/demo"


class PublishPlayTest(h.IntegrationTest):
    def start_publisher(self, srv, name="demo", loop=True):
        pub = h.Publisher(srv.rtmp_url(name), loop=loop).start()
        self.addCleanup(pub.kill)
        srv.wait_stream(name)
        return pub

    def test_probe_decode_and_api(self):
        with h.Server(sets={"stream.reconnect_grace_ms": 1000}) as srv:
            pub = self.start_publisher(srv)
            for url in (srv.rtmp_url(), srv.flv_url()):
                self.assertMediaStreams(h.ffprobe_streams(url), url)

            # Viewers connected (stream copy, cheap): the API counts them.
            watchers = [h.Viewer(srv.rtmp_url(), name="rtmp-watcher", decode=False).start(),
                        h.Viewer(srv.flv_url(), name="flv-watcher", decode=False).start()]

            def both_counted():
                s = srv.api_stream(KEY)
                v = (s or {}).get("viewers", {})
                return s if (v.get("rtmp"), v.get("flv"), v.get("hls")) == (1, 1, 0) else None
            s = h.wait_until(both_counted, 8, 0.25, "API viewers == {rtmp: 1, flv: 1}")
            self.assertEqual(s["app"], "live")
            self.assertEqual(s["name"], "demo")
            video, audio = s["video"], s["audio"]
            self.assertEqual(video["codec"], "h264")
            self.assertEqual(video["profile"], "High")
            self.assertEqual((video["width"], video["height"]), (1280, 720))
            self.assertAlmostEqual(float(video["fps"]), 30.0, delta=1.0)
            self.assertEqual(audio["codec"], "aac")
            self.assertEqual(audio["sample_rate"], 48000)
            self.assertEqual(audio["channels"], 2)
            # RFC 6381: High (0x64), no constraint flags, the SPS's level; AAC-LC
            self.assertRegex(s["codecs"] or "", r"^avc1\.6400[0-9a-f]{2},mp4a\.40\.2$")
            self.assertGreaterEqual(s["uptime_s"], 0)
            # the source is ~3.1 Mbit/s; in and out rates are measured, not guessed
            h.wait_until(lambda: 1500 <= (srv.api_stream(KEY) or {}).get("bitrate_in_kbps", 0) <= 6000,
                         8, 0.5, "bitrate_in_kbps ~3100")
            h.wait_until(lambda: (srv.api_stream(KEY) or {}).get("bitrate_out_kbps", 0) >= 3000,
                         8, 0.5, "bitrate_out_kbps >= 3000 with two viewers")
            for w in watchers:
                self.assertTrue(w.running(), "%s ended early: %s" % (w.name, w.output()[-1000:]))
                w.stop()
            last = {}

            def zero():
                last["s"] = srv.api_stream(KEY)
                v = (last["s"] or {}).get("viewers", {})
                return (v.get("rtmp"), v.get("flv")) == (0, 0)
            try:
                h.wait_until(zero, 8, 0.25, "API viewers back to {rtmp: 0, flv: 0}")
            except AssertionError as e:
                raise AssertionError("%s; last API entry: %s" % (e, json.dumps(last.get("s"))))

            # Two real viewers decode 10 s each, in parallel.
            viewers = [h.Viewer(srv.rtmp_url(), duration=10, name="rtmp-viewer").start(),
                       h.Viewer(srv.flv_url(), duration=10, name="flv-viewer").start()]
            for v in viewers:
                rc_ = v.wait(40)
                self.assertEqual(rc_, 0, "%s exit %d: %s" % (v.name, rc_, v.output()[-2000:]))
                self.assertEqual(v.error_lines(), [], "%s printed errors" % v.name)
                self.assertFrameCount(v.frames(), 300, v.name)
                self.assertLess(v.wall(), 14, "%s took %.1fs for 10 s of media" % (v.name, v.wall()))
            self.assertTrue(pub.running(), "publisher died:\n" + pub.output()[-2000:])
            pub.stop()
            h.wait_until(lambda: srv.api_stream(KEY) is None, 10, 0.25, "stream gone from API")

    def test_second_publisher_bad_name(self):
        with h.Server(sets={"stream.publisher_takeover": False}) as srv:
            pub = self.start_publisher(srv)
            mark = srv.log_mark()
            second = h.Publisher(srv.rtmp_url(), name="second-publisher").start()
            rc_ = second.wait(20)
            self.assertNotEqual(rc_, 0, "second publisher on a taken name must fail")
            srv.wait_for_log([r"live/demo", r"already|in use|taken|busy|badname|exists"],
                             5, since=mark)
            # and the precise status over our own client
            with rc.RtmpClient("127.0.0.1", srv.rtmp_port) as c:
                sid = c.setup()
                c.publish("demo", sid)
                st = c.wait_status(timeout=5)
                self.assertEqual(st.get("code"), "NetStream.Publish.BadName", st)
            self.assertTrue(pub.running(), "first publisher must keep streaming")
            self.assertMediaStreams(h.ffprobe_streams(srv.flv_url()), "after BadName")

    def test_late_joiner_starts_on_keyframe(self):
        with h.Server() as srv:
            self.start_publisher(srv)
            # join at different offsets inside a 2 s GOP
            for delay in (0.7, 1.3):
                time.sleep(delay)
                for url in (srv.rtmp_url(), srv.flv_url()):
                    pkts = h.ffprobe_packets(url, count=5)
                    self.assertTrue(pkts, "no packets from %s" % url)
                    self.assertIn("K", pkts[0].get("flags", ""),
                                  "first video packet of %s is not a keyframe: %r" % (url, pkts))
            # our own client: metadata and codec headers first, then a keyframe, fast
            with rc.RtmpClient("127.0.0.1", srv.rtmp_port) as c:
                sid = c.setup()
                t0 = time.monotonic()
                c.play("demo", sid)
                st = c.wait_status({"NetStream.Play.Start", "NetStream.Play.StreamNotFound",
                                    "NetStream.Play.Failed"}, timeout=5)
                self.assertEqual(st.get("code"), "NetStream.Play.Start", st)
                media = []
                deadline = time.monotonic() + 5
                while not any(m.type == rc.VIDEO and not m.is_video_seq_header for m in media):
                    self.assertLess(time.monotonic(), deadline, "no video frame after Play.Start")
                    m = c.read_message(5)
                    if m.type in (rc.AUDIO, rc.VIDEO, rc.DATA_AMF0):
                        media.append(m)
                first_frame = media[-1]
                self.assertTrue(first_frame.is_video_keyframe, "first video frame not a keyframe")
                self.assertLess(first_frame.received_at - t0, 1.5, "first keyframe too late")
                kinds = [("meta" if m.type == rc.DATA_AMF0 else "vsh" if m.is_video_seq_header
                          else "ash" if m.is_audio_seq_header else "a" if m.type == rc.AUDIO else "v")
                         for m in media]
                self.assertIn("vsh", kinds, kinds)
                self.assertIn("ash", kinds, kinds)
                self.assertLess(kinds.index("vsh"), len(kinds) - 1, kinds)
                metas = [m.values() for m in media if m.type == rc.DATA_AMF0]
                self.assertTrue(any("onMetaData" in v for v in metas), "no onMetaData: %r" % metas)
                self.assertNotIn("a", kinds[:kinds.index("ash")] if "ash" in kinds else kinds,
                                 "raw audio before the AAC sequence header: %r" % kinds)

    def test_publisher_takeover_and_clean_end(self):
        import subprocess
        with h.Server(sets={"stream.publisher_takeover": True,
                            "stream.reconnect_grace_ms": 1000}) as srv:
            p1 = self.start_publisher(srv)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            reader.start()
            self.addCleanup(reader.stop)
            h.wait_until(lambda: reader.video_count() > 10, 10, 0.1, "viewer receiving")
            mark = srv.log_mark()
            p2 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher-2").start()
            self.addCleanup(p2.kill)
            srv.wait_for_log([r"live/demo", r"taken over"], 10, since=mark)
            h.wait_until(lambda: not p1.running(), 10, 0.2, "the first publisher to be cut off")
            before = reader.video_count()
            h.wait_until(lambda: reader.video_count() > before + 30, 10, 0.1,
                         "viewer receiving the new publisher")
            self.assertTrue(p2.running(), p2.output()[-2000:])
            # The stream ends: HTTP-FLV closes its chunked body properly (curl: exit 0).
            curl = subprocess.Popen(["curl", "-sS", "-o", "/dev/null", "--max-time", "20",
                                     srv.flv_url()], stderr=subprocess.PIPE, text=True)
            time.sleep(1)
            p2.stop()
            _, err = curl.communicate(timeout=30)
            self.assertEqual(curl.returncode, 0, "HTTP-FLV body not terminated: " + err)

    def test_rtmpdump_librtmp_plays(self):
        """librtmp (rtmpdump) speaks its own handshake and command flow."""
        import os
        import signal
        import subprocess
        with h.Server() as srv:
            self.start_publisher(srv)
            out = os.path.join(h.make_tmpdir(), "dump.flv")
            proc = subprocess.Popen(["rtmpdump", "-q", "--live", "-r", srv.rtmp_url(), "-o", out],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            try:
                time.sleep(4)
            finally:
                proc.send_signal(signal.SIGINT)  # rtmpdump closes the file cleanly
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
            self.assertMediaStreams(h.ffprobe_streams(out), "rtmpdump file")
            dec = subprocess.run(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(dec.returncode, 0, dec.stderr[-2000:])
            self.assertEqual(dec.stderr.strip(), "", "decode errors in the rtmpdump file")
            pkts = h.ffprobe_packets(out, count=3)
            self.assertIn("K", pkts[0].get("flags", ""), "rtmpdump's first frame: %r" % pkts)

    def test_gstreamer_rtmpsrc_plays(self):
        """GStreamer's rtmpsrc (librtmp) + flvdemux: 90 video buffers arrive."""
        import shutil
        import subprocess
        if not shutil.which("gst-launch-1.0"):
            self.skipTest("gst-launch-1.0 not installed")
        with h.Server() as srv:
            self.start_publisher(srv)
            pipeline = ("rtmpsrc location=\"%s live=1\" ! flvdemux name=d "
                        "d.video ! queue ! fakesink num-buffers=90 sync=false" % srv.rtmp_url())
            run = subprocess.run(["sh", "-c", "gst-launch-1.0 -e " + pipeline],
                                 capture_output=True, text=True, timeout=60)
            self.assertEqual(run.returncode, 0, run.stdout[-2000:] + run.stderr[-2000:])
            self.assertIn("EOS", run.stdout + run.stderr, "rtmpsrc did not reach 90 buffers")

    def test_gstreamer_rtmpsrc_stops_on_sigint(self):
        """gst-launch -e on SIGINT: rtmpsrc (librtmp) sends deleteStream and closes its
        socket while its reader thread is in recv() on it; close() does not wake that
        recv, only bytes from the server do (Stream EOF), else librtmp waits 120 s.
        When the EOF lands before the close, the thread reads it and waits again: the
        PingRequest that follows wakes it (failed 1 in 8 under ASan without it)."""
        import shutil
        import signal
        import subprocess
        if not shutil.which("gst-launch-1.0"):
            self.skipTest("gst-launch-1.0 not installed")
        with h.Server() as srv:
            self.start_publisher(srv)
            mark = srv.log_mark()
            log = os.path.join(h.make_tmpdir(), "gst.log")
            with open(log, "wb") as out:
                gst = subprocess.Popen(["gst-launch-1.0", "-e", "rtmpsrc", "location=" +
                                        srv.rtmp_url(), "!", "fakesink"],
                                       stdout=out, stderr=subprocess.STDOUT)
            self.addCleanup(lambda: gst.poll() is None and gst.kill())
            srv.wait_for_log([r"rtmp .* live/demo: playing"], timeout=10, since=mark)
            time.sleep(1.5)
            self.assertIsNone(gst.poll(), h.read_text(log)[-2000:])
            t0 = time.monotonic()
            gst.send_signal(signal.SIGINT)
            try:
                rc_ = gst.wait(8)
            except subprocess.TimeoutExpired:
                gst.kill()
                gst.wait(5)
                self.fail("gst-launch still running 8 s after SIGINT:\n" + h.read_text(log)[-2000:])
            h.log("gst-launch exited %.2f s after SIGINT" % (time.monotonic() - t0))
            self.assertEqual(rc_, 0, h.read_text(log)[-2000:])
            self.assertIn("EOS received", h.read_text(log))
            srv.wait_for_log([r"rtmp .* live/demo: play stopped by the player"], timeout=5,
                             since=mark)

    def test_rtmp_timestamps_wrapping_past_2_32_play_on(self):
        # RTMP timestamps are 32-bit ms: a publisher that has been on for 49.7 days
        # wraps to 0. The publishing session extends them, so a player sees the
        # frames keep their 33 ms spacing across the wrap (its own 32-bit field wraps
        # too), with no "timestamp jump" smoothing in between.
        sps = bytes([0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10,
                     0x00, 0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83,
                     0x19, 0x60])
        pps = bytes([0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0])
        avcc = (bytes([1, 0x64, 0x00, 0x1f, 0xff, 0xe1]) + len(sps).to_bytes(2, "big") + sps
                + bytes([1]) + len(pps).to_bytes(2, "big") + pps)
        start = 2 ** 32 - 1500  # 1.5 s before the wrap

        def frame(i):
            key = i % 30 == 0
            nal = bytes([0x65 if key else 0x41, 0x88, i & 0xFF])
            return bytes([0x17 if key else 0x27, 1, 0, 0, 0]) + len(nal).to_bytes(4, "big") + nal

        with h.Server() as srv, rc.RtmpClient("127.0.0.1", srv.rtmp_port) as pub, \
                rc.RtmpClient("127.0.0.1", srv.rtmp_port) as player:
            sid = pub.setup()
            pub.publish("wrap", sid)
            st = pub.wait_status({"NetStream.Publish.Start", "NetStream.Publish.BadName"}, 5)
            self.assertEqual(st.get("code"), "NetStream.Publish.Start", st)
            pub.send_message(6, rc.VIDEO, sid, bytes([0x17, 0, 0, 0, 0]) + avcc, start)
            pub.send_message(4, rc.AUDIO, sid, bytes([0xAF, 0, 0x11, 0x90]), start)
            pub.send_message(6, rc.VIDEO, sid, frame(0), start)
            srv.wait_stream("wrap")

            psid = player.setup()
            player.play("wrap", psid)
            st = player.wait_status({"NetStream.Play.Start", "NetStream.Play.StreamNotFound"}, 5)
            self.assertEqual(st.get("code"), "NetStream.Play.Start", st)
            frames = 120  # 4 s of video at 30 fps, the wrap in the middle
            t0 = time.monotonic()
            for i in range(1, frames):
                # in real time: a burst would be far ahead of the player's clock and
                # its send queue would skip to a keyframe
                time.sleep(max(0.0, t0 + 0.033 * i - time.monotonic()))
                ts = (start + 33 * i) & 0xFFFFFFFF
                pub.send_message(4, rc.AUDIO, sid, bytes([0xAF, 1, 0x21, i & 0xFF]), ts)
                pub.send_message(6, rc.VIDEO, sid, frame(i), ts)

            times = []
            deadline = time.monotonic() + 10
            while len(times) < frames:
                self.assertLess(time.monotonic(), deadline,
                                "only %d of %d frames played" % (len(times), frames))
                m = player.read_message(5)
                if m.type == rc.VIDEO and not m.is_video_seq_header:
                    times.append(m.timestamp)
            steps = [(b - a) & 0xFFFFFFFF for a, b in zip(times, times[1:])]
            self.assertEqual(set(steps), {33}, "video steps across the wrap: %r" % steps)
            self.assertGreater(times[0], times[-1], "the player's timestamps did not wrap")
            self.assertIsNone(srv.find_log(r"timestamp jump|jumped by"), "the wrap was smoothed")

    def test_delete_stream_is_answered_with_stream_eof(self):
        """A player that deletes its stream gets User Control Stream EOF (event 1) for
        it, as from nginx-rtmp; the connection stays usable."""
        with h.Server() as srv:
            self.start_publisher(srv)
            with rc.RtmpClient("127.0.0.1", srv.rtmp_port) as c:
                sid = c.setup()
                c.play("demo", sid)
                c.wait_status(["NetStream.Play.Start"])
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:  # past the GOP burst: live media
                    if c.read_message().type == 9 and c.received_bytes > 300000:
                        break
                c.send_command("deleteStream", 0, None, float(sid))
                eof = None
                deadline = time.monotonic() + 5
                try:
                    while eof is None and time.monotonic() < deadline:
                        m = c.read_message(max(0.01, deadline - time.monotonic()))
                        if m.type == rc.USER_CONTROL and m.payload[:2] == b"\x00\x01":
                            eof = m
                except OSError:  # nothing more came
                    pass
                self.assertIsNotNone(eof, "no Stream EOF after deleteStream")
                self.assertEqual(int.from_bytes(eof.payload[2:6], "big"), sid)
                # A PingRequest follows, for a librtmp reader thread that consumed the
                # EOF before its close() (see test_gstreamer_rtmpsrc_stops_on_sigint).
                ping = None
                deadline = time.monotonic() + 3
                while ping is None and time.monotonic() < deadline:
                    m = c.read_message(max(0.01, deadline - time.monotonic()))
                    if m.type == rc.USER_CONTROL and m.payload[:2] == b"\x00\x06":
                        ping = m
                self.assertIsNotNone(ping, "no PingRequest after the Stream EOF")
                # The same connection can make another stream.
                self.assertGreater(c.create_stream(), 0)

    def test_http_flv_headers_and_404(self):
        with h.Server() as srv:
            self.start_publisher(srv)
            s = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
            try:
                s.sendall(b"GET /live/demo.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Origin: http://example.test\r\n\r\n")
                status, headers, rest = h.read_http_head(s)
                self.assertEqual(status, 200)
                self.assertIn("chunked", headers.get("transfer-encoding", "").lower(), headers)
                self.assertIn("access-control-allow-origin", headers, headers)
                self.assertNotIn("content-length", headers)
                deadline = time.monotonic() + 5
                while (b"\r\n" not in rest or len(rest) < 32) and time.monotonic() < deadline:
                    data = s.recv(65536)
                    if not data:
                        break
                    rest += data
                body = h.dechunk(rest)
                self.assertEqual(body[:3], b"FLV", "body starts with %r" % body[:16])
                self.assertEqual(body[4] & 0x05, 0x05, "FLV header flags must announce audio+video")
            finally:
                s.close()

            status, headers, body = h.http_get(srv.flv_url("nosuchstream"))
            self.assertEqual(status, 404)
            doc = json.loads(body.decode())
            self.assertIsInstance(doc.get("error"), str, doc)
            self.assertTrue(doc["error"])

            status, _, _ = h.http_get(srv.http_url("/no/such/path"))
            self.assertEqual(status, 404)

    def test_rtmp_play_missing_stream(self):
        with h.Server() as srv:
            with rc.RtmpClient("127.0.0.1", srv.rtmp_port) as c:
                sid = c.setup()
                c.play("nosuchstream", sid)
                st = c.wait_status(timeout=5)
                self.assertEqual(st.get("code"), "NetStream.Play.StreamNotFound", st)
                self.assertTrue(c.wait_closed(5), "server must close after StreamNotFound")

    def test_sigterm_while_streaming(self):
        srv = h.Server().start()
        try:
            pub = self.start_publisher(srv)
            viewers = [h.Viewer(srv.rtmp_url(), name="rtmp-viewer").start(),
                       h.Viewer(srv.flv_url(), name="flv-viewer").start()]
            h.wait_until(lambda: all(v.frames() > 30 for v in viewers), 15, 0.2,
                         "viewers decoding")
            rc_, took = srv.terminate(timeout=10)
            self.assertEqual(rc_, 0, "exit code after SIGTERM:\n" + h.tail(srv.log_path))
            self.assertLess(took, 5.0, "shutdown took %.1fs" % took)
            srv.check_sanitizers()
            # every client sees the end instead of hanging
            pub.wait(10)
            for v in viewers:
                v.wait(10)
        except BaseException:
            h.log("server log tail:\n" + h.tail(srv.log_path, 100))
            srv.kill()
            raise


if __name__ == "__main__":
    h.main()
