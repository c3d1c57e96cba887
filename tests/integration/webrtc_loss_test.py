# WHEP video under loss (issue 17 point 3): a UDP relay between Chromium and the
# server drops a share of the server's RTP (never STUN, DTLS or RTCP); the viewer's
# NACKs are answered from the retransmission buffer and the video keeps decoding; a
# PLI is answered with the stream's cached keyframe, not by asking the source; a
# viewer losing much gets keyframes only, and full video again once it keeps up,
# while a viewer beside it gets every frame. Owner: integration tests. ~45 s.
import json
import os
import random
import re
import select
import shutil
import socket
import subprocess
import threading
import time
import unittest

import harness as h
import room_client as rc
import room_test as rt
from browser_test import WEB_ROOT

# The sessions list is for admins (a session's id ends it): servers of these tests get
# room_test's keys, and the list is asked with the administrator's UserSig.
ADMIN_SETS = {"room.key": rt.KEY, "room.app_id": rt.APP_ID}
from webrtc_test import ndc

HERE = os.path.dirname(os.path.abspath(__file__))
WHEP_STATS = os.path.join(HERE, "browser", "whep_stats.mjs")

# Small, no B-frames, a keyframe a second, video only.
SOURCE = ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
          "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
          "-g", "30", "-pix_fmt", "yuv420p", "-b:v", "600k", "-an", "-threads", "1"]


def loss_is_rtp(d):
    """RTP (RFC 5761 demultiplexing: version 2, second byte not an RTCP type)."""
    return len(d) >= 12 and 128 <= d[0] <= 191 and not 192 <= d[1] <= 223


class LossyRelay(threading.Thread):
    """Forwards UDP between WebRTC clients (one upstream socket per client address,
    as a NAT would) and the server's media port; drops `drop` of the server's RTP."""

    def __init__(self, server_port, drop=0.0, seed=17):
        super().__init__(daemon=True)
        self.server = ("127.0.0.1", server_port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.clients = {}  # upstream socket -> client address
        self.upstream = {}  # client address -> upstream socket
        self.drop = drop
        self.rng = random.Random(seed)
        self.rtp = self.dropped = 0
        self.stopping = False

    def upstream_ports(self):
        return {s.getsockname()[1] for s in list(self.clients)}

    def run(self):
        while not self.stopping:
            ready, _, _ = select.select([self.sock] + list(self.clients), [], [], 0.1)
            for s in ready:
                data, addr = s.recvfrom(65536)
                if s is self.sock:
                    up = self.upstream.get(addr)
                    if up is None:
                        up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                        up.bind(("127.0.0.1", 0))
                        self.upstream[addr], self.clients[up] = up, addr
                    up.sendto(data, self.server)
                    continue
                if loss_is_rtp(data):
                    self.rtp += 1
                    if self.rng.random() < self.drop:
                        self.dropped += 1
                        continue
                self.sock.sendto(data, self.clients[s])

    def stop(self):
        self.stopping = True
        self.join(2)
        for s in [self.sock] + list(self.clients):
            s.close()


def webrtc_api(srv):
    query = "identifier=administrator&usersig=" + rc.user_sig(rt.APP_ID, rt.KEY, "administrator")
    status, _, body = h.http_get(srv.http_url("/api/v1/webrtc/sessions?" + query))
    if status != 200:
        raise AssertionError("GET /api/v1/webrtc/sessions -> %s %r" % (status, body[:300]))
    return json.loads(body)


def whep_sessions(srv):
    return [s for s in webrtc_api(srv)["sessions"] if s.get("role") == "whep"]


def relayed_session(srv, relay):
    ports = relay.upstream_ports()
    for s in whep_sessions(srv):
        # "peer" is the selected address once ICE picked one, the HTTP client's IP before.
        port = s["peer"].rsplit(":", 1)[1] if s.get("connected") else None
        if s.get("video") and port and int(port) in ports:
            return s
    return None


class WebrtcLossTest(unittest.TestCase):
    def test_0_the_sessions_list_is_for_admins(self):
        status, _, body = h.http_get(self.srv.http_url("/api/v1/webrtc/sessions"))
        self.assertEqual(status, 401, body)  # the room's admin check, as for the rooms API
        self.assertIn(b'"error"', body)
        self.assertIn("whep_video_totals", webrtc_api(self.srv))

    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(sets=dict(ADMIN_SETS, **{"web.root": WEB_ROOT})).start()
        cls.pub = h.FfmpegProc(SOURCE + ["-f", "flv", cls.srv.rtmp_url()], "publisher").start()
        cls.srv.wait_stream()

    @classmethod
    def tearDownClass(cls):
        cls.pub.stop()
        cls.srv.stop()

    def chromium(self, relay, seconds, during=None):
        """Plays live/demo in Chromium through `relay`; calls during(elapsed) about every
        0.5 s while it plays; returns its JSON result."""
        args = [shutil.which("node"), WHEP_STATS, "--origin", self.srv.http_url("").rstrip("/"),
                "--stream", "live/demo", "--seconds", str(seconds), "--relay-port",
                str(relay.port), "--web-root", os.path.abspath(WEB_ROOT)]
        h.log("whep_stats: " + " ".join(args))
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
        t0 = time.monotonic()
        while p.poll() is None and time.monotonic() - t0 < seconds + 40:
            if during:
                during(time.monotonic() - t0)
            time.sleep(0.5)
        out, err = p.communicate(timeout=30)
        lines = out.decode("utf-8", "replace").strip().splitlines()
        if not lines:
            raise AssertionError("whep_stats printed nothing: " + err.decode()[-2000:])
        r = json.loads(lines[-1])
        h.log("whep_stats: ok=%s reason=%s last=%r" % (r.get("ok"), r.get("reason"), r.get("last")))
        self.assertTrue(r.get("ok"), (r.get("reason"), err.decode()[-2000:]))
        return r

    def test_1_nacks_are_answered_and_the_video_keeps_decoding(self):
        relay = LossyRelay(self.srv.udp_port, drop=0.05)
        relay.start()
        seen = {}

        def sample(_):
            s = relayed_session(self.srv, relay)
            if s:
                seen.update(s["video"])

        try:
            r = self.chromium(relay, 8, sample)
        finally:
            relay.stop()
        last = r["last"]
        h.log("relay: %d RTP, %d dropped; server: %r" % (relay.rtp, relay.dropped, seen))
        self.assertGreater(relay.dropped, 10, "the relay dropped too little to test")
        self.assertGreater(last["nackCount"], 0, last)
        self.assertGreater(seen.get("nacked_seqs", 0), 0, seen)
        # Nearly every NACKed packet was still in the buffer and went again.
        self.assertGreaterEqual(seen.get("resent", 0), relay.dropped // 2, seen)
        self.assertLessEqual(seen.get("resend_missed", 0), seen.get("resent", 0) // 10, seen)
        self.assertEqual(seen.get("keyframes_only_times"), 0, "5 % loss is not a slow viewer")
        # 8 s at 30 fps: most frames decoded, few freezes.
        self.assertGreater(last["framesDecoded"], 150, last)
        self.assertLessEqual(last["freezeCount"], 3, last)
        # The media left in batches: a frame's packets in one sendmmsg, not one call each.
        udp = webrtc_api(self.srv)["udp"]
        h.log("udp: %r" % udp)
        self.assertGreater(udp["queued"], 500, udp)
        self.assertLessEqual(udp["batch_calls"], udp["queued"] * 3 // 4, udp)

    def test_2_a_pli_gets_the_cached_keyframe(self):
        before = self.srv.api_stream("live/demo")["keyframe_requests"]["received"]
        mark = self.srv.log_mark()
        # The libdatachannel client sends one PLI at its first video packet.
        code, r = ndc("whep", self.srv.http_url("/whep/live/demo"), seconds=2)
        self.assertEqual(code, 0, r)
        self.assertTrue(r["pli"]["sent"], r["pli"])
        time.sleep(0.5)  # the session's close
        after = self.srv.api_stream("live/demo")["keyframe_requests"]["received"]
        self.assertEqual(after, before, "the PLI reached the source")
        rx = (r"whep .*: video: \d+ packets, .* (\d+) picture losses \((\d+) from the cached "
              r"keyframe, (\d+) asked the source\)")
        line = self.srv.wait_for_log(rx, 10, since=mark)
        losses, cached, asked = (int(g) for g in re.search(rx, line).groups())
        self.assertGreaterEqual(losses, 1, line)
        self.assertEqual((cached, asked), (1, 0), line)
        # The ended session's counters stay in the server's totals.
        totals = webrtc_api(self.srv)["whep_video_totals"]
        self.assertGreaterEqual(totals["keyframes_from_cache"], 1, totals)

    def test_3_a_slow_viewer_gets_keyframes_only_and_returns(self):
        relay = LossyRelay(self.srv.udp_port, drop=0.4)
        relay.start()
        seen = {"keyframes_only": False}
        mark = self.srv.log_mark()

        def sample(elapsed):
            s = relayed_session(self.srv, relay)
            if not s:
                return
            if s["video"]["keyframes_only"]:
                seen["keyframes_only"] = True
                relay.drop = 0.0  # it keeps up from now on
            seen.update({k: s["video"][k] for k in ("deltas_skipped", "keyframes_only_times")})

        # Beside it, a viewer on a clean path gets every frame meanwhile.
        other = {}
        beside = threading.Thread(target=lambda: other.update(
            zip(("code", "r"), ndc("whep", self.srv.http_url("/whep/live/demo"), seconds=8))))
        beside.start()
        try:
            self.chromium(relay, 14, sample)
        finally:
            relay.stop()
            beside.join(60)
        h.log("relay: %d RTP, %d dropped; server: %r" % (relay.rtp, relay.dropped, seen))
        self.assertTrue(seen["keyframes_only"], seen)
        self.assertGreater(seen.get("deltas_skipped", 0), 10, seen)
        self.srv.wait_for_log(r"whep 127\.0\.0\.1 live/demo .*: the viewer does not keep up "
                              r"\(\d+% of its video lost\): keyframes only", 1, since=mark)
        self.srv.wait_for_log(r"whep 127\.0\.0\.1 live/demo .*: the viewer keeps up again", 1,
                              since=mark)
        totals = webrtc_api(self.srv)["whep_video_totals"]
        self.assertGreaterEqual(totals["keyframes_only_times"], 1, totals)
        self.assertEqual(other.get("code"), 0, other)
        video = other["r"]["video"]
        self.assertEqual(video["lost"], 0, video)
        self.assertGreater(video["accessUnits"], 8 * 30 * 0.75, video)


if __name__ == "__main__":
    unittest.main()
