# Hostile and broken input on the RTMP and HTTP ports: each gets a clear log line
# and a closed connection, while a concurrently running viewer keeps getting data.
# Owner: integration tests. One server + publisher + viewer for the class (~40 s).
import json
import os
import select
import socket
import time

import harness as h
import rtmp_client as rc

HANDSHAKE_TIMEOUT_MS = 1500
MAX_MESSAGE = 1 << 20
MAX_HEADER = 8192
HEADER_TIMEOUT_MS = 2000


def peer(port):
    return r"127\.0\.0\.1:%d\b" % port


class BadInputTest(h.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(sets={
            "rtmp.handshake_timeout_ms": HANDSHAKE_TIMEOUT_MS,
            "rtmp.max_message_size": MAX_MESSAGE,
            "http.max_header_size": MAX_HEADER,
            "http.header_timeout_ms": HEADER_TIMEOUT_MS,
            "web.root": os.path.join(h.SOURCE, "web"),  # whatever the working directory
        }).start()
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
            cls.srv.stop()  # SIGTERM -> exit 0, no sanitizer report
        except AssertionError:
            h.log("server log:\n" + h.tail(cls.srv.log_path, 150))
            raise
        finally:
            cls.pub.kill()

    def setUp(self):
        self.mark = self.srv.log_mark()
        self.tags_before = self.viewer.video_count()

    def tearDown(self):
        # After every bad input: the other viewer still gets data, the server lives.
        self.assertTrue(self.srv.running(), "server died:\n" + h.tail(self.srv.log_path))
        want = self.tags_before + 15
        h.wait_until(lambda: self.viewer.video_count() >= want or self.viewer.ended.is_set(),
                     6, 0.1, "concurrent viewer to keep receiving video")
        self.assertFalse(self.viewer.ended.is_set(),
                         "concurrent viewer was disconnected: %r" % self.viewer.error)

    def expect_log(self, *regexes, timeout=5):
        line = self.srv.wait_for_log(list(regexes), timeout, since=self.mark)
        h.log("matched log line: " + line)
        return line

    def assertClosed(self, sock, timeout, what):
        t0 = time.monotonic()
        deadline = t0 + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail("%s: connection still open after %.1fs" % (what, timeout))
            sock.settimeout(left)
            try:
                if not sock.recv(65536):
                    break
            except (ConnectionResetError, BrokenPipeError):
                break
            except socket.timeout:
                continue
        return time.monotonic() - t0

    # ---------------------------------------------------------------- RTMP

    def test_rtmp_garbage(self):
        s = socket.create_connection(("127.0.0.1", self.srv.rtmp_port), timeout=5)
        with s:
            port = s.getsockname()[1]
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + os.urandom(3000))
            self.assertClosed(s, 5, "garbage on the RTMP port")
        self.expect_log(peer(port), r"version|handshake|invalid|unsupported|garbage|bad")

    def test_rtmp_truncated_handshake(self):
        s = socket.create_connection(("127.0.0.1", self.srv.rtmp_port), timeout=5)
        with s:
            port = s.getsockname()[1]
            s.sendall(b"\x03" + os.urandom(700))  # C0 + half of C1, then silence
            took = self.assertClosed(s, HANDSHAKE_TIMEOUT_MS / 1000 + 5, "truncated handshake")
        self.assertGreaterEqual(took, HANDSHAKE_TIMEOUT_MS / 1000 - 0.5,
                                "closed before rtmp.handshake_timeout_ms (%.2fs)" % took)
        self.expect_log(peer(port), r"timeout|timed out")

    def rtmp_connected(self):
        c = rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5)
        c.handshake()
        c.connect("live")
        return c

    def check_set_chunk_size(self, size):
        with self.rtmp_connected() as c:
            c.send_set_chunk_size(size, apply=False)
            # a command after it: must not be answered under a bogus chunk size
            c.send_command("createStream", 2, None)
            self.assertTrue(c.wait_closed(5), "SetChunkSize %d accepted" % size)
            self.expect_log(peer(c.local_port), r"chunk.?size")

    def test_rtmp_set_chunk_size_zero(self):
        self.check_set_chunk_size(0)

    def test_rtmp_set_chunk_size_too_big(self):
        self.check_set_chunk_size(16 * 1024 * 1024 + 1)

    def test_rtmp_set_chunk_size_huge(self):
        self.check_set_chunk_size(0x7FFFFFFF)

    def test_rtmp_message_over_max_size(self):
        with self.rtmp_connected() as c:
            announced = 4 * MAX_MESSAGE
            head = c.encode_message(3, rc.COMMAND_AMF0, 0, b"\x02" + b"x" * 127, length=announced)
            c.send_raw(head)
            self.assertTrue(c.wait_closed(5), "a %d-byte message header was accepted" % announced)
            self.expect_log(peer(c.local_port),
                            r"too (large|big|long)|exceed|max.?message|oversize|limit|length")

    def test_rtmp_unknown_command(self):
        with self.rtmp_connected() as c:
            c.send_command("roomcastBogusCommand", 7, None, "arg")
            answered = False
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                try:
                    m = c.read_message(deadline - time.monotonic())
                except socket.timeout:
                    break
                if m.is_command:
                    v = m.values()
                    if v[:2] == ["_error", 7]:
                        answered = True
                        break
            if not answered:
                self.expect_log(r"roomcastBogusCommand")
            # the connection stays up and works
            sid = c.create_stream()
            c.play("demo", sid)
            st = c.wait_status({"NetStream.Play.Start", "NetStream.Play.StreamNotFound"}, 5)
            self.assertEqual(st.get("code"), "NetStream.Play.Start", st)
            frames = 0
            deadline = time.monotonic() + 5
            while frames < 5:
                self.assertLess(time.monotonic(), deadline, "no video after Play.Start")
                if c.read_message(5).type == rc.VIDEO:
                    frames += 1

    def test_rtmp_play_missing_stream(self):
        with self.rtmp_connected() as c:
            sid = c.create_stream()
            c.play("nosuchstream", sid)
            st = c.wait_status(timeout=5)
            self.assertEqual(st.get("code"), "NetStream.Play.StreamNotFound", st)
            self.assertTrue(c.wait_closed(5), "not closed after StreamNotFound")

    def test_rtmp_many_half_open(self):
        # A burst of connections that never finish the handshake: all closed.
        socks = [socket.create_connection(("127.0.0.1", self.srv.rtmp_port), timeout=5)
                 for _ in range(20)]
        try:
            for s in socks:
                s.sendall(b"\x03")
            for s in socks:
                self.assertClosed(s, HANDSHAKE_TIMEOUT_MS / 1000 + 5, "half-open handshake")
        finally:
            for s in socks:
                s.close()

    def test_rtmp_client_that_never_reads_its_replies(self):
        # Pings answered into a socket nobody reads: bounded, then closed.
        with rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5, rcvbuf=4096) as c:
            c.handshake()
            ping = c.encode_message(2, 4, 0, b"\x00\x06\x00\x00\x00\x01")
            sent = 0
            try:
                while sent < 40 * 1024 * 1024:
                    c.send_raw(ping * 1000)
                    sent += len(ping) * 1000
            except (BrokenPipeError, ConnectionResetError, socket.timeout):
                pass
            self.expect_log(peer(c.local_port), r"does not read")

    def test_rtmp_publish_before_connect(self):
        c = rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5)
        with c:
            c.handshake()
            c.send_command("publish", 5, None, "sneaky", "live", stream_id=1)
            self.assertTrue(c.wait_closed(5), "publish without connect accepted")
            self.expect_log(peer(c.local_port), r"before connect")

    # ---------------------------------------------------------------- HTTP

    def test_http_body_never_sent(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            port = s.getsockname()[1]
            s.sendall(b"POST /api/v1/streams HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
            t0 = time.monotonic()
            status, _, _ = h.read_http_head(s, HEADER_TIMEOUT_MS / 1000 + 5)
            self.assertEqual(status, 408)
            self.assertGreaterEqual(time.monotonic() - t0, HEADER_TIMEOUT_MS / 1000 - 0.5)
        self.expect_log(peer(port), r"408")

    def test_http_pipelined_requests_never_read(self):
        # A client pipelining requests without reading the answers: the server
        # stops reading it instead of queueing answers without end, then drops it.
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        s.connect(("127.0.0.1", self.srv.http_port))
        with s:
            port = s.getsockname()[1]
            req = b"GET /nosuch/" + b"p" * 3000 + b".m3u8 HTTP/1.1\r\nHost: x\r\n\r\n"
            sent = 0
            s.settimeout(2)
            try:
                while sent < 64 * 1024 * 1024:
                    s.sendall(req * 64)
                    sent += len(req) * 64
            except (socket.timeout, BrokenPipeError, ConnectionResetError):
                pass
            self.assertLess(sent, 64 * 1024 * 1024, "the server kept reading a client that never reads")

    def test_http_flv_for_http_1_0_is_not_chunked(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            s.sendall(b"GET /live/demo.flv HTTP/1.0\r\n\r\n")
            status, headers, rest = h.read_http_head(s, 5)
            self.assertEqual(status, 200)
            self.assertNotIn("transfer-encoding", headers)
            while len(rest) < 13:
                rest += s.recv(4096)
            self.assertEqual(rest[:3], b"FLV", "HTTP/1.0 body must be the bare FLV stream")


    def test_http_header_too_large(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            port = s.getsockname()[1]
            try:
                s.sendall(b"GET /live/demo.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " +
                          b"a" * (8 * MAX_HEADER) + b"\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer and close before reading it all
            status, headers, rest = h.read_http_head(s, 5)
            self.assertEqual(status, 431)
            rest += h.read_body_until_close(s, 5)
            doc = h.json_body_of(rest, headers)
            self.assertTrue(doc.get("error"), doc)
        self.expect_log(peer(port), r"431|header.{0,30}(large|long|size|big)")

    def test_http_slowloris(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            port = s.getsockname()[1]
            t0 = time.monotonic()
            s.sendall(b"GET /live/demo.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            trickle = b"X-Slow: " + b"z" * 4000
            i = 0
            deadline = t0 + HEADER_TIMEOUT_MS / 1000 + 6
            while time.monotonic() < deadline:
                r, _, _ = select.select([s], [], [], 0.2)
                if r:
                    break
                try:
                    s.sendall(trickle[i % len(trickle):i % len(trickle) + 1])
                except (BrokenPipeError, ConnectionResetError):
                    break
                i += 1
            took = time.monotonic() - t0
            self.assertLess(took, HEADER_TIMEOUT_MS / 1000 + 6, "slowloris never cut off")
            self.assertGreaterEqual(took, HEADER_TIMEOUT_MS / 1000 - 0.5,
                                    "cut off before http.header_timeout_ms (%.2fs)" % took)
            status, _, _ = h.read_http_head(s, 3)
            self.assertEqual(status, 408)
            self.assertClosed(s, 3, "slowloris after 408")
        self.expect_log(peer(port), r"timeout|timed out|408")

    def test_http_garbage(self):
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(500) + b"\r\n\r\n")
            data = h.read_body_until_close(s, HEADER_TIMEOUT_MS / 1000 + 4)
            if data:
                self.assertRegex(data[:12].decode("latin-1"), r"^HTTP/1\.[01] 4\d\d")
            self.assertClosed(s, 1, "garbage on the HTTP port")

    # ---------------------------------------------------------------- any bytes

    def exchange(self, request, timeout=5):
        """(status, headers, body) of one raw request sent with Connection: close."""
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=timeout)
        with s:
            s.sendall(request)
            status, headers, rest = h.read_http_head(s, timeout)
            return status, headers, rest + h.read_body_until_close(s, timeout)

    def test_http_error_replies_whatever_the_bytes(self):
        # Paths that decode to invalid UTF-8, raw high bytes, bad headers and
        # bodies: each gets an answer with a JSON error, none kills a handler.
        cases = [  # (request line and headers, body, expected status)
            (b"GET /%c0%ae HTTP/1.1\r\n", b"", 404),
            (b"GET /%ff%fe%fd.m3u8 HTTP/1.1\r\n", b"", 400),
            (b"GET /live/%c0%ae.flv HTTP/1.1\r\n", b"", 400),
            (b"GET /live/%c3%28/index.m3u8 HTTP/1.1\r\n", b"", 400),
            (b"GET /api/v1/streams/live/%ed%a0%80 HTTP/1.1\r\n", b"", 404),
            (b"GET /api/v1/rooms/%ff HTTP/1.1\r\n", b"", 404),
            (b"POST /api/v1/rooms/lo%80bby/messages HTTP/1.1\r\n", b"{}", 404),
            (b"POST /api/v1/rooms?identifier=%ff%fe&usersig=x HTTP/1.1\r\n", b"{}", 403),
            (b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
             b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: \xff\xfe\r\n", b"", 426),
            (b"GET /api/v1/streams HTTP/1.1\r\nX-Junk: \xc0\xae\xff\r\n", b"", 200),
            (b"DELETE /api/v1/recordings/%c0%ae HTTP/1.1\r\n", b"", 401),
            (b"POST /v4/group_open_http_svc/%ff%fe HTTP/1.1\r\n", b"{}", 200),
        ]
        wrong = []
        for head, body, want in cases:
            upgrade = b"Upgrade, " if b"Upgrade:" in head else b""
            req = head + b"Host: x\r\nConnection: %sclose\r\nContent-Length: %d\r\n\r\n" % (
                upgrade, len(body)) + body
            status, headers, raw = self.exchange(req)
            if status != want:
                wrong.append("%r -> %d (not %d) %r" % (req[:60], status, want, raw[:200]))
                continue
            doc = h.json_body_of(raw, headers)
            if want != 200:
                self.assertTrue(doc.get("error"), "%r: %r" % (req[:80], doc))
            elif b"/v4/" in req:  # the IM's shape: always 200, the failure inside
                self.assertEqual(doc.get("ActionStatus"), "FAIL", doc)
        self.assertEqual(wrong, [])
        self.assertIsNone(self.srv.find_log(r"threw|handler failed", since=self.mark),
                          "a handler threw on odd bytes")

    # ---------------------------------------------------------------- HEAD

    def assertHeadMirrorsGet(self, path, same_length=True):
        get = b"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path.encode()
        g_status, g_headers, g_body = self.exchange(get)
        head = get.replace(b"GET ", b"HEAD ", 1)
        status, headers, body = self.exchange(head)
        what = "HEAD %s: %d %r, GET: %d %r" % (path, status, headers, g_status, g_headers)
        self.assertEqual(status, g_status, what)
        self.assertEqual(body, b"", what + ": a HEAD answer has no body")
        self.assertEqual(sorted(headers), sorted(g_headers), what)
        for k in g_headers:
            if k != "content-length" or same_length:
                self.assertEqual(headers[k], g_headers[k], "%s: header %s" % (what, k))
        if same_length:
            self.assertEqual(int(headers["content-length"]), len(g_body), what)
        return g_status, g_body

    def test_http_head_mirrors_get(self):
        # (path, GET's status, whether the body stays the same between two requests)
        for path, want, fixed in (("/api/v1/streams", 200, False),
                                  ("/api/v1/rooms", 200, False),
                                  ("/api/v1/rooms/live/demo", 200, False),
                                  ("/api/v1/streams/live/demo", 200, False),
                                  ("/live/demo.m3u8", 200, False),
                                  ("/live/demo/ll.m3u8", 200, False),
                                  ("/api/v1/recordings", 401, True),
                                  ("/index.html", 200, True),
                                  ("/app.js", 200, True),
                                  ("/nosuch", 404, True),
                                  ("/live/nosuch.flv", 404, True),
                                  ("/ws", 400, True)):
            status, body = self.assertHeadMirrorsGet(path, same_length=fixed)
            self.assertEqual(status, want, "GET %s: %r" % (path, body[:200]))
        # A segment of the HLS playlist.
        _, playlist = self.assertHeadMirrorsGet("/live/demo.m3u8", same_length=False)
        segment = [l for l in playlist.decode().splitlines() if l and not l.startswith("#")][-1]
        base = "/live/" if not segment.startswith("/") else ""
        status, _ = self.assertHeadMirrorsGet(base + segment)
        self.assertEqual(status, 200, segment)

    def test_http_head_of_a_live_flv_stream(self):
        # The head GET would answer, then the end of that answer: no FLV bytes, and
        # the connection serves the next request.
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            s.sendall(b"GET /live/demo.flv HTTP/1.1\r\nHost: x\r\n\r\n")
            g_status, g_headers, _ = h.read_http_head(s, 5)
        s = socket.create_connection(("127.0.0.1", self.srv.http_port), timeout=5)
        with s:
            s.sendall(b"HEAD /live/demo.flv HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, rest = h.read_http_head(s, 5)
            self.assertEqual((status, headers), (g_status, g_headers))
            self.assertEqual(g_headers.get("transfer-encoding"), "chunked", g_headers)
            s.sendall(b"GET /nosuch HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            rest += h.read_body_until_close(s, 5)
            self.assertTrue(rest.startswith(b"HTTP/1.1 404 "),
                            "after the HEAD answer: %r" % rest[:100])

    def test_http_unknown_stream_json(self):
        status, headers, body = h.http_get(self.srv.flv_url("nosuchstream"))
        self.assertEqual(status, 404)
        self.assertTrue(json.loads(body.decode()).get("error"))


if __name__ == "__main__":
    h.main()
