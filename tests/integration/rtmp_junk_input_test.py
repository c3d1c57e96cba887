# A publisher sending junk video tags fast: its log lines stay few (repeats are counted,
# not written), the session is closed once its input is mostly invalid, a publisher
# with only some bad tags is not, and another publisher's viewer is unaffected.
# Owner: integration tests. One server, an ffmpeg publisher and an HTTP-FLV viewer (~15 s).
import os
import re
import socket
import struct
import time

import harness as h
import rtmp_client as rc

TAG_BYTES = 25000  # 50 MB of junk in 2000 tags, sent as fast as the socket takes them
JUNK_TAGS = 2000
MAX_LINES = 25  # lines naming the junk publisher, its whole life included


def junk_video(i):
    # AVC, keyframe, AVCPacketType 3..255 (unknown): a parse error every time.
    return bytes([0x17, 3 + i % 253]) + os.urandom(TAG_BYTES - 2)


def good_video(i):
    # AVC NALU packet: composition time 0, one 5-byte NAL unit (length-prefixed).
    return bytes([0x27, 0x01, 0, 0, 0]) + struct.pack(">I", 5) + bytes([0x41, 0x9a, i & 0xff, 0, 1])


def good_sequence_header():
    # AVCDecoderConfigurationRecord: baseline 3.0, one 4-byte SPS and one 4-byte PPS.
    sps, pps = bytes([0x67, 0x42, 0xc0, 0x1e]), bytes([0x68, 0xce, 0x06, 0xe2])
    rec = bytes([1, 0x42, 0xc0, 0x1e, 0xff, 0xe1]) + struct.pack(">H", len(sps)) + sps
    rec += bytes([1]) + struct.pack(">H", len(pps)) + pps
    return bytes([0x17, 0x00, 0, 0, 0]) + rec


class RtmpJunkInputTest(h.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server().start()
        try:
            cls.pub = h.Publisher(cls.srv.rtmp_url(), loop=True).start()
            cls.srv.wait_stream()
            cls.viewer = h.FlvHttpReader(cls.srv.http_port, "/live/demo.flv")
            cls.viewer.start()
            h.wait_until(lambda: cls.viewer.video_count() > 10, 10, 0.1, "viewer receiving video")
        except BaseException:
            h.log("server log:\n" + h.tail(cls.srv.log_path, 100))
            cls.srv.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.viewer.stop()
        try:
            cls.srv.stop()
        finally:
            cls.pub.kill()

    def setUp(self):
        self.mark = self.srv.log_mark()
        self.tags_before = self.viewer.video_count()

    def tearDown(self):
        self.assertTrue(self.srv.running(), "server died:\n" + h.tail(self.srv.log_path))
        want = self.tags_before + 15
        h.wait_until(lambda: self.viewer.video_count() >= want or self.viewer.ended.is_set(),
                     6, 0.1, "the other stream's viewer to keep receiving video")
        self.assertFalse(self.viewer.ended.is_set(), "viewer disconnected: %r" % self.viewer.error)

    def publisher(self, name):
        c = rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5)
        sid = c.setup()
        c.publish(name, sid)
        st = c.wait_status({"NetStream.Publish.Start", "NetStream.Publish.BadName"}, 5)
        self.assertEqual(st.get("code"), "NetStream.Publish.Start", st)
        return c, sid

    def lines_of(self, port):
        rx = re.compile(r"127\.0\.0\.1:%d\b" % port)
        return [l for l in self.srv.log_text()[self.mark:].splitlines() if rx.search(l)]

    def send_tags(self, c, sid, bodies, timestamps=None):
        """Sends video tags until done or the server closes; returns how many went out."""
        sent = 0
        try:
            for i, body in enumerate(bodies):
                ts = timestamps(i) if timestamps else 40 * i
                c.send_raw(c.encode_message(6, rc.VIDEO, sid, body, timestamp=ts))
                sent += 1
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        return sent

    def test_junk_publisher_is_closed_with_few_log_lines(self):
        c, sid = self.publisher("junk")
        with c:
            c.send_set_chunk_size(65536)
            t0 = time.monotonic()
            sent = self.send_tags(c, sid, (junk_video(i) for i in range(JUNK_TAGS)))
            self.assertTrue(c.wait_closed(5), "a publisher of junk only was not closed")
            h.log("junk publisher: %d tags sent in %.2fs before the close" % (
                sent, time.monotonic() - t0))
        line = self.srv.wait_for_log([r"127\.0\.0\.1:%d\b" % c.local_port, r"live/junk",
                                      r"session ended: input mostly invalid"], 5, self.mark)
        h.log("close line: " + line)
        self.assertRegex(line, r"\b5[1-9] of the last \d+ messages unusable")
        self.assertRegex(line, r"unknown AVCPacketType")
        lines = self.lines_of(c.local_port)
        h.log("%d lines name the junk publisher; the last ones:\n%s" % (
            len(lines), "\n".join(lines[-6:])))
        self.assertLessEqual(len(lines), MAX_LINES, "\n".join(lines))
        warnings = [l for l in lines if "bad video message dropped" in l]
        self.assertEqual(len(warnings), 5, "\n".join(lines))
        suppressed = [l for l in lines if re.search(r"suppressed \d+ similar lines", l)]
        self.assertEqual(len(suppressed), 1, "\n".join(lines))
        self.assertRegex(suppressed[0], r"suppressed 4[0-9] similar lines \(bad media message\)")
        stream = self.srv.api_stream("live/junk")  # kept for the reconnect grace period
        self.assertTrue(stream is None or stream.get("publisher") is None, stream)

    def test_some_bad_tags_among_good_ones_are_tolerated(self):
        c, sid = self.publisher("patchy")
        with c:
            bodies = [good_sequence_header()]
            for i in range(400):  # one bad tag in four
                bodies.append(junk_video(i)[:200] if i % 4 == 3 else good_video(i))
            self.assertEqual(self.send_tags(c, sid, bodies), len(bodies))
            # Still publishing: a ping is answered.
            c.send_message(2, rc.USER_CONTROL, 0, struct.pack(">HI", 6, 4321))
            deadline = time.monotonic() + 5
            while True:
                m = c.read_message(max(0.01, deadline - time.monotonic()))
                if m.type == rc.USER_CONTROL and m.payload[:2] == b"\x00\x07":
                    break
            self.assertIsNotNone(self.srv.api_stream("live/patchy"), "stream not listed")
        self.srv.wait_for_log([r"127\.0\.0\.1:%d\b" % c.local_port, r"session ended"], 5,
                              self.mark)
        lines = self.lines_of(c.local_port)
        self.assertFalse([l for l in lines if "mostly invalid" in l], "\n".join(lines))
        warnings = [l for l in lines if "bad video message dropped" in l]
        self.assertEqual(len(warnings), 5, "\n".join(lines))
        # The other 95 are counted in one line when the session ends.
        self.assertTrue([l for l in lines if "suppressed 95 similar lines" in l], "\n".join(lines))

    def test_timestamps_jumping_on_every_tag_are_logged_a_few_times(self):
        c, sid = self.publisher("jumpy")
        with c:
            bodies = [good_sequence_header()] + [good_video(i) for i in range(200)]
            # Every other tag 100 s ahead: a discontinuity on each one.
            sent = self.send_tags(c, sid, bodies, lambda i: 40 * i + 100000 * (i % 2))
            self.assertEqual(sent, len(bodies))
            c.send_message(2, rc.USER_CONTROL, 0, struct.pack(">HI", 6, 4321))
            deadline = time.monotonic() + 5
            while True:  # the ping answer: every tag before it was handled
                m = c.read_message(max(0.01, deadline - time.monotonic()))
                if m.type == rc.USER_CONTROL and m.payload[:2] == b"\x00\x07":
                    break
        line = self.srv.wait_for_log([r"stream live/jumpy: suppressed \d+ similar lines "
                                      r"\(timestamp jump\)"], 5, self.mark)
        h.log("summary line: " + line)
        jumps = [l for l in self.srv.log_text()[self.mark:].splitlines()
                 if "live/jumpy: source timestamp jumped" in l]
        self.assertEqual(len(jumps), 5, "\n".join(jumps))
        self.assertGreater(int(re.search(r"suppressed (\d+)", line).group(1)), 150)


if __name__ == "__main__":
    h.main()
