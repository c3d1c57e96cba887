# Signed push/play URLs: ?expire=UNIX&sign=hex(HMAC-SHA256(key, "app/name:expire")).
# Every rejection has its status/HTTP code and its reason in the log; valid URLs work.
# Owner: integration tests. One server + one signed publisher for the class (~30 s).
import json
import re
import time

import harness as h
import rtmp_client as rc

KEY = "it-secret-7f3a-0123456789abcdef"
REJECT_PUBLISH = {"NetStream.Publish.Unauthorized"}
# Log wording: loose on purpose, one class of reason each.
MISSING = r"missing.{0,40}sign"
BAD = r"bad signature|signature.{0,20}(mismatch|invalid|wrong)|(invalid|wrong) signature"
EXPIRED = r"signature.{0,20}expired|expired.{0,20}signature"
PLAY_CODES = {"NetStream.Play.Start", "NetStream.Play.Failed", "NetStream.Play.StreamNotFound"}


def query(name, key=KEY, expire=None, app="live"):
    expire = int(time.time()) + 600 if expire is None else expire
    return h.signed_query(key, app, name, expire)


class AuthTest(h.IntegrationTest):
    @classmethod
    def setUpClass(cls):
        cls.srv = h.Server(sets={"auth.enabled": True, "auth.key": KEY,
                                 "auth.protect_play": True, "auth.protect_publish": True}).start()
        try:
            cls.pub = h.Publisher(cls.srv.rtmp_url("demo", query=query("demo")), loop=True).start()
            cls.srv.wait_stream("demo", query=query("demo"))
        except BaseException:
            h.log("server log:\n" + h.tail(cls.srv.log_path, 100))
            cls.srv.kill()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.stop()
        except AssertionError:
            h.log("server log:\n" + h.tail(cls.srv.log_path, 150))
            raise
        finally:
            cls.pub.kill()

    def setUp(self):
        self.mark = self.srv.log_mark()

    def expect_reason(self, reason):
        h.log("matched log line: " + self.srv.wait_for_log(reason, 5, since=self.mark))

    # ---------------------------------------------------------------- publish

    def rtmp_publish_status(self, stream_name):
        with rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5) as c:
            sid = c.setup()
            c.publish(stream_name, sid)
            try:
                st = c.wait_status(timeout=5)
            except rc.ConnectionClosed:
                self.fail("connection closed without an onStatus for publish %s" % stream_name)
            return st

    def test_publish_missing_signature(self):
        st = self.rtmp_publish_status("nosig")
        self.assertIn(st.get("code"), REJECT_PUBLISH, st)
        self.expect_reason(MISSING)
        pub = h.Publisher(self.srv.rtmp_url("nosig2"), name="unsigned-publisher").start()
        self.assertNotEqual(pub.wait(20), 0, "unsigned ffmpeg push must fail")

    def test_publish_bad_signature(self):
        st = self.rtmp_publish_status("badsig?" + query("badsig", key="wrong-key-0123456789abcdef"))
        self.assertIn(st.get("code"), REJECT_PUBLISH, st)
        self.expect_reason(BAD)

    def test_publish_signature_of_other_name(self):
        st = self.rtmp_publish_status("victim?" + query("attacker"))
        self.assertIn(st.get("code"), REJECT_PUBLISH, st)
        self.expect_reason(BAD)

    def test_publish_tampered_expire(self):
        # a valid signature, but expire pushed later without re-signing
        good = int(time.time()) + 60
        sig = h.sign(KEY, "live", "tamper", good)
        st = self.rtmp_publish_status("tamper?expire=%d&sign=%s" % (good + 86400, sig))
        self.assertIn(st.get("code"), REJECT_PUBLISH, st)
        self.expect_reason(BAD)

    def test_publish_expired(self):
        st = self.rtmp_publish_status("old?" + query("old", expire=int(time.time()) - 30))
        self.assertIn(st.get("code"), REJECT_PUBLISH, st)
        self.expect_reason(EXPIRED)
        pub = h.Publisher(self.srv.rtmp_url("old2", query=query("old2", expire=int(time.time()) - 30)),
                          name="expired-publisher").start()
        self.assertNotEqual(pub.wait(20), 0, "expired ffmpeg push must fail")

    def test_publish_valid_via_client(self):
        st = self.rtmp_publish_status("fresh?" + query("fresh"))
        self.assertEqual(st.get("code"), "NetStream.Publish.Start", st)

    # ---------------------------------------------------------------- play

    def rtmp_play_status(self, stream_name):
        with rc.RtmpClient("127.0.0.1", self.srv.rtmp_port, timeout=5) as c:
            sid = c.setup()
            c.play(stream_name, sid)
            try:
                return c.wait_status(PLAY_CODES, timeout=5)
            except rc.ConnectionClosed:
                self.fail("connection closed without an onStatus for play %s" % stream_name)

    def test_play_rtmp_rejections(self):
        for name, reason in (("demo", MISSING),
                             ("demo?" + query("demo", key="wrong-key-0123456789abcdef"), BAD),
                             ("demo?" + query("demo", expire=int(time.time()) - 5),
                              EXPIRED)):
            self.mark = self.srv.log_mark()
            st = self.rtmp_play_status(name)
            self.assertEqual(st.get("code"), "NetStream.Play.Failed", (name, st))
            self.expect_reason(reason)

    def test_play_http_rejections(self):
        for q, reason in ((None, MISSING),
                          (query("demo", key="wrong-key-0123456789abcdef"), BAD),
                          (query("demo", expire=int(time.time()) - 5), EXPIRED)):
            self.mark = self.srv.log_mark()
            status, headers, body = h.http_get(self.srv.flv_url("demo", query=q))
            self.assertEqual(status, 403, (q, body[:200]))
            self.assertTrue(json.loads(body.decode()).get("error"), body[:200])
            self.expect_reason(reason)

    def test_play_valid(self):
        q = query("demo")
        self.assertMediaStreams(h.ffprobe_streams(self.srv.rtmp_url("demo", query=q)), "signed RTMP")
        self.assertMediaStreams(h.ffprobe_streams(self.srv.flv_url("demo", query=q)), "signed FLV")
        st = self.rtmp_play_status("demo?" + q)
        self.assertEqual(st.get("code"), "NetStream.Play.Start", st)

    def test_signed_master_playlist(self):
        """A signed master playlist is refused unsigned, and its variant URIs carry a
        signature the media playlist accepts."""
        status, _, body = h.http_get(self.srv.http_url("/live/demo/master.m3u8"))
        self.assertEqual(status, 403, body[:200])
        q = query("demo")
        url = self.srv.http_url("/live/demo/master.m3u8?" + q)
        status, _, body = h.http_get(url)
        self.assertEqual(status, 200, body[:200])
        uri = [l for l in body.decode().splitlines() if l and not l.startswith("#")][0]
        self.assertEqual(uri, "../demo.m3u8?" + q)
        status, _, body = h.http_get(self.srv.http_url("/live/demo.m3u8?" + q))
        self.assertEqual(status, 200, body[:200])

    def test_signed_urls_from_cli(self):
        # URLs printed by `roomcast sign` with the same key are accepted.
        text, _ = h.toml_set(h.base_config_text(), "auth", "key", '"%s"' % KEY)
        path = h.make_tmpdir() + "/auth.toml"
        with open(path, "w") as f:
            f.write(text)
        r = h.run_roomcast(["sign", "--app", "live", "--name", "demo", "--ttl", "300",
                            "--config", path])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        m = re.search(r"https?://[^\s\"']+/live/demo\.flv\?([^\s\"']+)", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        status, _ = h.http_status(self.srv.http_port, "/live/demo.flv?" + m.group(1))
        self.assertEqual(status, 200)


if __name__ == "__main__":
    h.main()
