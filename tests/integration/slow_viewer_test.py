# A viewer that stops reading (HTTP-FLV and RTMP) must not slow the publisher or the
# other viewers; it drops frames, then is disconnected after viewer.queue_hard_ms.
# Owner: integration tests. Real time: ~30 s.
import socket
import time

import harness as h
import rtmp_client as rc

SOFT_MS = 1000
HARD_MS = 3000
STALL_RCVBUF = 4096
END = r"end|clos|disconnect|drop(ped|ping)? (the )?(viewer|session|connection)"
REASON = r"slow|queue|lag|behind|overflow|stall|too far|hard|backlog|timeout|congest"


class SlowViewerTest(h.IntegrationTest):
    def test_stalled_viewers_are_dropped_not_contagious(self):
        sets = {"viewer.queue_soft_ms": SOFT_MS, "viewer.queue_hard_ms": HARD_MS}
        with h.Server(sets=sets) as srv:
            pub = h.Publisher(srv.rtmp_url(), loop=True).start()
            self.addCleanup(pub.kill)
            srv.wait_stream()

            # Stalled HTTP-FLV viewer: tiny receive buffer, sends GET, never reads.
            flv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            flv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, STALL_RCVBUF)
            flv.connect(("127.0.0.1", srv.http_port))
            self.addCleanup(flv.close)
            flv.sendall(b"GET /live/demo.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            flv_port = flv.getsockname()[1]

            # Stalled RTMP viewer: plays, sees Play.Start, then never reads again.
            rtmp = rc.RtmpClient("127.0.0.1", srv.rtmp_port, rcvbuf=STALL_RCVBUF)
            self.addCleanup(rtmp.close)
            sid = rtmp.setup()
            rtmp.play("demo", sid)
            st = rtmp.wait_status({"NetStream.Play.Start", "NetStream.Play.StreamNotFound"}, 5)
            self.assertEqual(st.get("code"), "NetStream.Play.Start", st)
            rtmp_port = rtmp.local_port
            t_stall = time.monotonic()

            # A normal viewer decodes 10 s in about 10 s, all frames.
            normal = h.Viewer(srv.flv_url(), duration=10, name="normal-viewer").start()
            pub_t0, pub_p0 = pub.sample()
            rc_ = normal.wait(40)
            pub_t1, pub_p1 = pub.sample()
            self.assertEqual(rc_, 0, normal.output()[-2000:])
            self.assertEqual(normal.error_lines(), [])
            self.assertFrameCount(normal.frames(), 300, "normal viewer")
            self.assertLess(normal.wall(), 13.0, "normal viewer took %.1fs" % normal.wall())

            # The publisher (ffmpeg -re) kept real-time speed.
            media = (h._int(pub_p1.get("out_time_us")) - h._int(pub_p0.get("out_time_us"))) / 1e6
            wall = pub_t1 - pub_t0
            self.assertGreater(wall, 5)
            self.assertGreaterEqual(media / wall, 0.9, "publisher slowed: %.1fs of media in %.1fs" % (
                media, wall))
            self.assertTrue(pub.running(), pub.output()[-2000:])

            # The stalled viewers dropped frames, then were disconnected with a reason.
            who = r"127\.0\.0\.1:(%d|%d)\b" % (flv_port, rtmp_port)
            deadline = max(5.0, 40 - (time.monotonic() - t_stall))
            srv.wait_for_log([who, r"drop"], deadline)
            for port in (flv_port, rtmp_port):
                line = srv.wait_for_log([r"127\.0\.0\.1:%d\b" % port, END, REASON],
                                        max(5.0, 40 - (time.monotonic() - t_stall)))
                h.log("disconnect line: " + line)
            for name, sock in (("flv", flv), ("rtmp", rtmp.sock)):
                self.assertTrue(_drained_to_eof(sock, 20), "stalled %s viewer not closed" % name)

            # Everyone else is unaffected: the stream still plays.
            self.assertTrue(pub.running(), pub.output()[-2000:])
            check = h.Viewer(srv.rtmp_url(), duration=3, name="after-viewer").start()
            self.assertEqual(check.wait(20), 0, check.output()[-2000:])
            self.assertFrameCount(check.frames(), 90, "viewer after the stall", tolerance=0.1)


def _drained_to_eof(sock, timeout):
    """Read everything the server had queued; True once it is closed (EOF or RST)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            if not sock.recv(1 << 20):
                return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
    return False


if __name__ == "__main__":
    h.main()
