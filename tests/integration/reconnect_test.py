# Publisher drops and comes back within stream.reconnect_grace_ms: viewers keep
# going and get both publishers' frames; past the grace the viewers are ended.
# Owner: integration tests. Real time: ~30 s.
import time

import harness as h

GRACE_MS = 4000
RUN_S = 5.0


class ReconnectTest(h.IntegrationTest):
    def test_viewers_survive_publisher_reconnect(self):
        with h.Server(sets={"stream.reconnect_grace_ms": GRACE_MS}) as srv:
            p1 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher-1").start()
            self.addCleanup(p1.kill)
            srv.wait_stream()
            viewers = [h.Viewer(srv.flv_url(), name="flv-viewer").start(),
                       h.Viewer(srv.rtmp_url(), name="rtmp-viewer").start()]
            for v in viewers:
                self.addCleanup(v.kill)
            reader = h.FlvHttpReader(srv.http_port, "/live/demo.flv")
            reader.start()
            self.addCleanup(reader.stop)
            h.wait_until(lambda: all(v.frames() > 0 for v in viewers), 10, 0.1, "viewers decoding")

            time.sleep(RUN_S)
            p1_frames_seen = p1.frames()
            p1.kill()  # SIGKILL: the TCP connection just drops
            mark = srv.log_mark()
            time.sleep(1.5)
            for v in viewers:
                self.assertTrue(v.running(), "%s ended during the grace period:\n%s" % (
                    v.name, v.output()[-2000:]))
            self.assertFalse(reader.ended.is_set(), "FLV reader ended during the grace period")
            before = [v.frames() for v in viewers]
            tags_before = reader.video_count()
            self.assertGreater(min(before), 60, "viewers got too little of publisher 1: %r" % before)

            p2 = h.Publisher(srv.rtmp_url(), loop=True, name="publisher-2").start()
            self.addCleanup(p2.kill)
            t_p2 = time.monotonic()
            time.sleep(RUN_S)
            p2_frames = p2.frames()
            self.assertTrue(p2.running(), "publisher 2 failed:\n" + p2.output()[-2000:])
            time.sleep(0.5)  # let the last frames reach the viewers
            after = [v.frames() for v in viewers]
            for v, b, a in zip(viewers, before, after):
                self.assertTrue(v.running(), "%s ended after the new publisher came:\n%s" % (
                    v.name, v.output()[-2000:]))
                # all of publisher 2's frames arrive (it starts on a keyframe)
                self.assertGreaterEqual(a - b, 0.85 * p2_frames,
                                        "%s: %d frames during publisher 2, which sent %d" % (
                                            v.name, a - b, p2_frames))
                self.assertLessEqual(a - b, p2_frames + 70, "%s: too many frames" % v.name)
            self.assertGreaterEqual(reader.video_count() - tags_before, 0.85 * p2_frames)
            self.assertIsNone(reader.error, repr(reader.error))

            # timestamps stay monotonic across the publisher switch (FLV tag = DTS)
            with reader.lock:
                vts = [t[1] for t in reader.tags if t[0] == 9 and not t[3]]
            jumps = [(a, b) for a, b in zip(vts, vts[1:]) if b < a]
            self.assertEqual(jumps, [], "video timestamps went backwards")
            h.log("p1 frames %d (seen), p2 frames %d, viewers before %r after %r" % (
                p1_frames_seen, p2_frames, before, after))

            # Now the publisher goes away for longer than the grace period.
            p2.kill()
            t_kill = time.monotonic()
            for v in viewers:
                rc_ = v.wait(GRACE_MS / 1000 + 8)
                took = time.monotonic() - t_kill
                self.assertGreaterEqual(took, GRACE_MS / 1000 - 1.0,
                                        "%s ended before the grace period (%.1fs)" % (v.name, took))
            self.assertTrue(reader.ended.wait(5), "FLV reader not ended after the grace period")
            self.assertTrue(reader.eof, "FLV response not ended cleanly: %r" % reader.error)
            # the FLV session's end is logged with its peer address and a reason
            srv.wait_for_log([r"127\.0\.0\.1:%d\b" % reader.local_port,
                              r"grace|publisher|unpublish|stream.{0,20}(end|gone|clos)|eof|source"],
                             5, since=mark)


if __name__ == "__main__":
    h.main()
