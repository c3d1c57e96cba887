# Relay out ("restream", issue 18 points 6, 8, 9): a roomcast pushes a stream to
# another roomcast (a second process on free ports) by RTMP and, through socat's
# openssl-listen with a self-signed certificate, by RTMPS. The receiver plays it
# (ffprobe); stopped, the relay goes to backoff with an error; restarted on the same
# ports, the relay resumes and the receiver plays again; a target that refuses the
# connection and one that refuses the publish get a clear status while the source
# and its viewer go on; a target that stops reading (a fake RTMP server) is dropped
# by the viewer queue's limits like a slow viewer; nginx-rtmp takes a relay with its
# metadata. Small media (320x180, 15 fps). Owner: integration tests. Real time: ~30 s.
import os
import socket
import struct
import subprocess
import threading
import time

import harness as h
import room_fixture

RELAY_SETS = {"relay.backoff_min_ms": 200, "relay.backoff_max_ms": 1000,
              "relay.connect_timeout_ms": 4000, "stream.reconnect_grace_ms": 500, "webrtc.enabled": False, "hls.enabled": False}
RECEIVER_SETS = {"webrtc.enabled": False, "hls.enabled": False}


def colour_source(url, extra=()):
    """ffmpeg pushing a 320x180 15 fps test picture with a 440 Hz tone by RTMP."""
    return h.FfmpegProc(
        ["-v", "error", "-re", "-f", "lavfi", "-i", "testsrc2=s=320x180:r=15",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
         "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
         "-pix_fmt", "yuv420p"] + list(extra) + ["-c:a", "aac", "-b:a", "48k", "-f", "flv",
                                                 url], "source")


def amf0(*values):
    """AMF0 for str, float, None and dict (of str) values."""
    out = b""
    for v in values:
        if v is None:
            out += b"\x05"
        elif isinstance(v, str):
            out += b"\x02" + struct.pack(">H", len(v)) + v.encode()
        elif isinstance(v, dict):
            out += b"\x03"
            for k, x in v.items():
                out += struct.pack(">H", len(k)) + k.encode() + amf0(x)
            out += b"\x00\x00\x09"
        else:
            out += b"\x00" + struct.pack(">d", float(v))
    return out


def rtmp_message(csid, stream_id, payload, type_id=20):
    """One message in 128-byte chunks, fmt 0 then fmt 3 (the default chunk size)."""
    out = bytes([csid]) + b"\x00\x00\x00" + struct.pack(">I", len(payload))[1:] + \
        bytes([type_id]) + struct.pack("<I", stream_id) + payload[:128]
    for i in range(128, len(payload), 128):
        out += bytes([0xC0 | csid]) + payload[i:i + 128]
    return out


class StallingTarget(threading.Thread):
    """An RTMP server that accepts one publish and then never reads again (a stalled
    platform): a small receive buffer, the simple handshake, _result to connect and
    createStream, NetStream.Publish.Start, then silence."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.published = threading.Event()
        self.done = threading.Event()
        self.conn = None

    def run(self):
        c, _ = self.sock.accept()
        self.conn = c
        got = b""

        def until(what):
            nonlocal got
            while what not in got:
                data = c.recv(4096)
                if not data:
                    raise EOFError(what)
                got += data
            got = got[got.index(what) + len(what):]

        try:
            while len(got) < 1537:
                got += c.recv(4096)
            c.sendall(b"\x03" + b"\x00" * 1536 + got[1:1537])  # S1 version 0: simple
            while len(got) < 1537 + 1536:  # C2
                got += c.recv(4096)
            got = got[1537 + 1536:]
            until(b"connect")
            c.sendall(rtmp_message(3, 0, amf0("_result", 1, {"fmsVer": "stall"},
                                              {"code": "NetConnection.Connect.Success"})))
            until(b"createStream")
            c.sendall(rtmp_message(3, 0, amf0("_result", 4, None, 1)))
            until(b"publish")
            c.sendall(rtmp_message(5, 1, amf0("onStatus", 0, None, {
                "level": "status", "code": "NetStream.Publish.Start", "description": "go"})))
            self.published.set()
        except (OSError, EOFError):
            pass
        self.done.wait(60)  # reads nothing more

    def close(self):
        self.done.set()
        for s in (self.conn, self.sock):
            if s:
                s.close()


def listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def restart_same_ports(srv):
    """Starts a stopped h.Server again on the ports it had (a target that returns)."""
    args = [h.BIN, "--config", srv.config_path,
            "--set", "rtmp.listen=127.0.0.1:%d" % srv.rtmp_port,
            "--set", "http.listen=127.0.0.1:%d" % srv.http_port,
            "--set", "state.dir=" + os.path.join(srv.dir, "state"), "--set", "log.level=debug"]
    for k, v in srv.sets.items():
        args += ["--set", "%s=%s" % (k, h._set_value(v))]
    srv.proc = h.start_process(args, srv.log_path)
    srv.stopped = False
    if not srv._wait_ready(15):
        raise AssertionError("receiver did not restart\n%s" % h.tail(srv.log_path))


class RelayTest(room_fixture.RoomServerTest):
    def relay(self, rid):
        st, js = self.api.call("GET", "/api/v1/relays/" + rid)
        self.assertEqual(st, 200, js)
        return js

    def wait_relay(self, rid, state, timeout=15, pred=None):
        seen = []

        def check():
            r = self.relay(rid)
            seen[:] = [r]
            return r if r["state"] == state and (pred is None or pred(r)) else None
        try:
            return h.wait_until(check, timeout, 0.1, "relay %s %s" % (rid, state))
        except AssertionError as e:
            raise AssertionError("%s; last seen %r" % (e, seen))

    def create(self, url, stream="live/src"):
        st, js = self.api.call("POST", "/api/v1/relays", {"stream": stream, "url": url})
        self.assertEqual(st, 201, js)
        return js["id"]

    def receiver(self):
        r = h.Server(sets=RECEIVER_SETS, name="receiver").start()
        self.addCleanup(r.__exit__, None, None, None)
        return r

    def test_01_relay_reconnects_and_reports_refusals(self):
        with self.serve(**RELAY_SETS) as srv:
            rx = self.receiver()
            src = colour_source(srv.rtmp_url("src")).start()
            self.addCleanup(src.kill)
            srv.wait_stream("src")
            viewer = h.Viewer(srv.flv_url("src"), name="source-viewer").start()
            self.addCleanup(viewer.kill)

            # The API: admins only, clear errors for bad input.
            st, js = self.api.call("POST", "/api/v1/relays",
                                   {"stream": "live/src", "url": "rtmp://x/live/y"}, auth=False)
            self.assertIn(st, (401, 403), js)
            for body, why in (({"stream": "live/src", "url": "http://x/a/b"}, "rtmp://"),
                              ({"stream": "live/src", "url": "rtmp://x/onlyapp"}, "stream name"),
                              ({"stream": "src", "url": "rtmp://x/a/b"}, "app/name"),
                              ({"url": "rtmp://x/a/b"}, "stream")):
                st, js = self.api.call("POST", "/api/v1/relays", body)
                self.assertEqual(st, 400, js)
                self.assertIn(why, js["error"])

            # Relay to the receiver: it plays the stream.
            rid = self.create("rtmp://127.0.0.1:%d/live/out?k=secret" % rx.rtmp_port)
            r = self.wait_relay(rid, "publishing")
            self.assertNotIn("secret", r["url"])
            streams = h.ffprobe_streams(rx.rtmp_url("out"))
            self.assertEqual(streams["video"]["codec_name"], "h264", streams)
            self.assertEqual((streams["video"]["width"], streams["video"]["height"]), (320, 180))
            self.assertEqual(streams["audio"]["codec_name"], "aac", streams)

            # The receiver stops: backoff with the error, the source goes on.
            mark = srv.log_mark()
            rx.terminate()
            r = self.wait_relay(rid, "backoff", timeout=10)
            self.assertIn("closed the connection", r["last_error"] or "", r)
            h.wait_until(lambda: self.relay(rid)["attempts"] >= 3, 10, 0.1, "retries")
            r = self.relay(rid)
            self.assertIn(r["state"], ("backoff", "connecting"), r)
            self.assertIn("connection refused", (r["last_error"] or "").lower(), r)
            srv.wait_for_log(r"relay %s live/src -> rtmp://127\.0\.0\.1:%d/live/out\?\.\.\.: "
                             r"connect to .*: connection refused; retrying in \d+ ms"
                             % (rid, rx.rtmp_port), since=mark)

            # It comes back on the same port: the relay resumes, the receiver plays.
            restart_same_ports(rx)
            self.wait_relay(rid, "publishing", timeout=10, pred=lambda r: r["connections"] == 2)
            streams = h.ffprobe_streams(rx.rtmp_url("out"))
            self.assertEqual(streams["video"]["codec_name"], "h264", streams)

            # A target that refuses the connection (nothing listens there).
            dead = self.create("rtmp://127.0.0.1:%d/live/dead" % h.free_port())
            r = self.wait_relay(dead, "backoff", pred=lambda r: r["last_error"])
            self.assertIn("connection refused", r["last_error"].lower(), r)
            # A target that refuses the publish: its name is taken there.
            taken = colour_source(rx.rtmp_url("taken")).start()
            self.addCleanup(taken.kill)
            rx.wait_stream("taken")
            refused = self.create("rtmp://127.0.0.1:%d/live/taken" % rx.rtmp_port)
            r = self.wait_relay(refused, "backoff", pred=lambda r: r["last_error"])
            self.assertTrue(r["last_error"].startswith(
                "publish refused: NetStream.Publish.BadName (stream live/taken is already being "
                "published"), r)
            # Garbage: an HTTP server where RTMP was expected.
            junk = self.create("rtmp://127.0.0.1:%d/live/junk" % rx.http_port)
            r = self.wait_relay(junk, "backoff", pred=lambda r: r["last_error"])
            self.assertIn("handshake", r["last_error"], r)

            # Limits: the list and the count.
            st, js = self.api.call("GET", "/api/v1/relays")
            self.assertEqual(st, 200, js)
            self.assertEqual(len(js["relays"]), 4, js)
            self.assertEqual(self.relay(rid)["state"], "publishing")

            # The source and its viewer were never disturbed.
            self.assertTrue(src.running(), src.output())
            self.assertTrue(viewer.running(), viewer.output())
            self.assertEqual(viewer.error_lines(), [])
            frames = viewer.frames()
            time.sleep(1.0)
            self.assertGreater(viewer.frames(), frames)

            # The source ends: waiting_for_source; it returns: publishing again.
            src.kill()
            self.wait_relay(rid, "waiting_for_source", timeout=15)
            src2 = colour_source(srv.rtmp_url("src")).start()
            self.addCleanup(src2.kill)
            self.wait_relay(rid, "publishing", timeout=10, pred=lambda r: r["connections"] == 3)

            for x in (rid, dead, refused, junk):
                st, js = self.api.call("DELETE", "/api/v1/relays/" + x)
                self.assertEqual(st, 200, js)
            st, js = self.api.call("GET", "/api/v1/relays/" + rid)
            self.assertEqual(st, 404, js)

    def test_02_rtmps_through_a_tls_front_and_timestamps_from_zero(self):
        d = h.make_tmpdir()
        cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=localhost"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        rx = self.receiver()
        tls_port = h.free_port()
        socat = h.start_process(
            ["socat", "openssl-listen:%d,bind=127.0.0.1,reuseaddr,fork,cert=%s,key=%s,verify=0"
             % (tls_port, cert, key), "tcp:127.0.0.1:%d" % rx.rtmp_port],
            os.path.join(d, "socat.log"))
        self.addCleanup(socat.kill)
        h.wait_until(lambda: listening(tls_port), 10, 0.05, "socat listening")
        url = "rtmps://localhost:%d/live/tls" % tls_port

        # Certificates are verified by default: a self-signed one is refused.
        checker = h.Server(sets=dict(RELAY_SETS, **{"room.key": room_fixture.rt.KEY,
                                                    "room.app_id": room_fixture.rt.APP_ID}),
                           name="verifying").start()
        self.addCleanup(checker.__exit__, None, None, None)
        src1 = colour_source(checker.rtmp_url("src")).start()
        self.addCleanup(src1.kill)
        checker.wait_stream("src")
        api = room_fixture.rc.Api(checker.http_port, room_fixture.rt.APP_ID, room_fixture.rt.KEY)
        st, js = api.call("POST", "/api/v1/relays", {"stream": "live/src", "url": url})
        self.assertEqual(st, 201, js)
        r = h.wait_until(lambda: (lambda r: r if r["last_error"] else None)(
            api.call("GET", "/api/v1/relays/" + js["id"])[1]), 10, 0.1, "verification error")
        self.assertIn("certificate", r["last_error"], r)
        self.assertIn("self-signed", r["last_error"], r)
        src1.kill()

        with self.serve(**dict(RELAY_SETS, **{"relay.tls_verify": False})) as srv:
            t0 = time.monotonic()
            src = colour_source(srv.rtmp_url("src")).start()
            self.addCleanup(src.kill)
            srv.wait_stream("src")
            rid = self.create(url)
            self.wait_relay(rid, "publishing")
            streams = h.ffprobe_streams(rx.rtmp_url("tls"))
            self.assertEqual(streams["video"]["codec_name"], "h264", streams)
            self.assertEqual(streams["audio"]["codec_name"], "aac", streams)
            self.assertGreater(self.relay(rid)["bytes_sent"], 10000)

            # A new connection's clock starts near 0, though the source's is seconds
            # on: an ffmpeg RTMP server records what it gets with the times as sent.
            time.sleep(max(0.0, 4.0 - (time.monotonic() - t0)))
            port = h.free_port()
            flv = os.path.join(d, "got.flv")
            rec = h.FfmpegProc(["-v", "error", "-listen", "1", "-i",
                                "rtmp://127.0.0.1:%d/live/ts" % port, "-frames:v", "30", "-c", "copy",
                                "-copyts", "-f", "flv", flv], "listener").start()
            self.addCleanup(rec.kill)
            # (no probe of its port: ffmpeg -listen 1 takes one connection only; the
            # relay retries until it listens)
            ts = self.create("rtmp://127.0.0.1:%d/live/ts" % port)
            self.assertEqual(rec.wait(20), 0, rec.output())
            pkts = h.ffprobe_json(["-show_entries", "packet=dts_time,codec_type", flv])["packets"]
            video = [float(p["dts_time"]) for p in pkts if p["codec_type"] == "video"]
            self.assertGreater(len(video), 15, pkts[:5])
            h.log("relayed dts: first %.3f, last %.3f (%d video packets)"
                  % (video[0], video[-1], len(video)))
            self.assertLess(video[0], 0.5, video[:5])
            self.assertEqual(video, sorted(video))
            for x in (rid, ts):
                self.assertEqual(self.api.call("DELETE", "/api/v1/relays/" + x)[0], 200)

    def test_03_a_stalled_target_is_dropped_like_a_slow_viewer(self):
        with self.serve(**dict(RELAY_SETS, **{"viewer.queue_soft_ms": 1000,
                                              "viewer.queue_hard_ms": 2500,
                                              "relay.send_buffer_bytes": 32768})) as srv:
            src = colour_source(srv.rtmp_url("src"), extra=["-qp", "4"]).start()
            self.addCleanup(src.kill)
            srv.wait_stream("src")
            viewer = h.Viewer(srv.flv_url("src"), name="source-viewer").start()
            self.addCleanup(viewer.kill)
            target = StallingTarget()
            self.addCleanup(target.close)
            target.start()
            t0 = time.monotonic()
            rid = self.create("rtmp://127.0.0.1:%d/live/stall" % target.port)
            self.assertTrue(target.published.wait(10), self.relay(rid))
            r = self.wait_relay(rid, "backoff", timeout=20, pred=lambda r: r["last_error"])
            h.log("stalled target dropped after %.1f s: %r" % (time.monotonic() - t0, r))
            self.assertIn("reads too slowly", r["last_error"], r)
            self.assertGreater(r["dropped_packets"], 0, r)  # first skipped to keyframes
            # The publisher and the source's viewer never noticed.
            self.assertTrue(src.running(), src.output())
            self.assertTrue(viewer.running(), viewer.output())
            frames = viewer.frames()
            time.sleep(0.5)
            self.assertGreater(viewer.frames(), frames)
            self.assertEqual(self.api.call("DELETE", "/api/v1/relays/" + rid)[0], 200)

    def test_04_nginx_rtmp_takes_the_relay_with_its_metadata(self):
        """Interop: nginx-rtmp (Debian's libnginx-mod-rtmp) as the target keeps the
        relay's @setDataFrame metadata and serves the stream."""
        d = h.make_tmpdir()
        port = h.free_port()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            f.write("load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;\n"
                    "daemon off; master_process off;\nerror_log %s/error.log info;\n"
                    "pid %s/nginx.pid;\nevents { worker_connections 64; }\n"
                    "rtmp { server { listen 127.0.0.1:%d; application live { live on; } } }\n"
                    % (d, d, port))
        nginx = h.start_process(["nginx", "-c", os.path.join(d, "nginx.conf"), "-p", d + "/"],
                                os.path.join(d, "nginx.log"))
        self.addCleanup(nginx.kill)
        with self.serve(**RELAY_SETS) as srv:
            src = colour_source(srv.rtmp_url("src")).start()
            self.addCleanup(src.kill)
            srv.wait_stream("src")
            rid = self.create("rtmp://127.0.0.1:%d/live/ng" % port)  # retried until it listens
            self.wait_relay(rid, "publishing")
            fmt = h.ffprobe_json(["-show_format", "-show_streams",
                                  "rtmp://127.0.0.1:%d/live/ng" % port])
            tags = fmt["format"].get("tags", {})
            self.assertIn("NGINX RTMP", tags.get("Server", ""), fmt["format"])
            self.assertEqual((tags.get("displayWidth"), tags.get("displayHeight")),
                             ("320", "180"), tags)
            self.assertEqual(sorted(s["codec_name"] for s in fmt["streams"]), ["aac", "h264"])
            self.assertEqual(self.api.call("DELETE", "/api/v1/relays/" + rid)[0], 200)


if __name__ == "__main__":
    h.main()
