# The room protocol on a WebRTC session's "room" data channel (issue 17 point 4),
# with libdatachannel (tests/integration/webrtc/ndc_client.mjs) as the peer: a WHEP
# viewer logged in by the UserSig of its URL sends danmaku (a WebSocket member gets
# them, the before-send webhook is asked, the sender gets its reply and its message
# once, with streamTime, from the media); a bad UserSig, the login message, the room
# binding, the per-connection rate limit; a WHIP host's channel sends too; the
# player page (Chromium) playing by WHEP sends its chat's danmaku on the channel.
# One server and one RTMP source for the class. Owner: integration tests. ~45 s.
import json
import os
import shutil
import subprocess
import unittest

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here
import webrtc_test as wt
from browser_test import CHROMIUM, WEB_ROOT
from webhook_test import Receiver

WHEP_CHAT_SCRIPT = os.path.join(h.HERE, "browser", "whep_chat.mjs")

SOURCE = ["-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30",
          "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0",
          "-g", "30", "-pix_fmt", "yuv420p", "-b:v", "300k", "-an"]
CLIENT_RATE = 5  # requests per second on a channel, bursts of 10


def sig(user):
    return rc.user_sig(rt.APP_ID, rt.KEY, user)


def text_send(rid, text):
    return {"cmd": "send", "id": rid, "type": "text", "body": {"text": text}}


def received(r):
    return [m["msg"] for m in (r.get("room") or {}).get("received", [])]


def reply(msgs, cmd=None, rid=None):
    for m in msgs:
        if m.get("event") == "reply" and (rid is None or m.get("id") == rid) and (
                cmd is None or m.get("cmd") == cmd):
            return m
    raise AssertionError("no reply cmd=%s id=%s in %r" % (cmd, rid, msgs))


class WebrtcRoomTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.hook = Receiver()
        sets = {"web.root": WEB_ROOT, "room.key": rt.KEY, "room.app_id": rt.APP_ID, "room.client_rate": CLIENT_RATE,
                "webhook.url": "http://127.0.0.1:%d/im/callback" % cls.hook.port,
                "webhook.timeout_ms": 1000}
        cls.srv = h.Server(sets=sets).start()
        cls.api = rc.Api(cls.srv.http_port, rt.APP_ID, rt.KEY)
        cls.pub = h.FfmpegProc(SOURCE + ["-f", "flv", cls.srv.rtmp_url()], "publisher").start()
        cls.srv.wait_stream()

    @classmethod
    def tearDownClass(cls):
        cls.pub.stop()
        cls.srv.stop()
        cls.hook.close()

    def member(self, name, room):
        c = rc.WsClient(self.srv.http_port, name=name).connect()
        rc.ok(c.login(name, sig(name)), "login")
        rc.ok(c.request("join", room=room), "join")
        return c

    def whep(self, query, requests, seconds=4):
        code, r = wt.ndc("whep", self.srv.http_url("/whep/live/demo") + query,
                         "--room", json.dumps(requests), seconds=seconds)
        self.assertEqual(code, 0, r)
        self.assertTrue(r["room"]["open"], r["room"])
        return r, received(r)

    def test_01_whep_viewer_sends_with_the_usersig_of_its_url(self):
        with self.member("wsuser", "live/demo") as ws:
            r, msgs = self.whep("?userid=bob&usersig=" + sig("bob"),
                                [text_send(1, "dc hello"), text_send(2, "reply:1")])
            h.log("room channel: %r" % msgs[:12])
            self.assertEqual(reply(msgs, "login").get("code"), 0, msgs)
            self.assertEqual(reply(msgs, "join").get("room"), "live/demo", msgs)
            sent = reply(msgs, rid=1)
            self.assertEqual(sent.get("code"), 0, sent)
            # The backend's before-send hook decides for the channel as for a WebSocket.
            self.assertEqual(reply(msgs, rid=2).get("code"), 10016, msgs)
            asked = [c["body"] for c in self.hook.of("Group.CallbackBeforeSendMsg")]
            self.assertIn(("bob", "dc hello"), [(b.get("From_Account"),
                                                b["MsgBody"][0]["MsgContent"].get("Text"))
                                               for b in asked])
            # A WebSocket member of the room gets it from bob.
            got = ws.wait_for(lambda e: rt.is_msg(e) and e["body"].get("text") == "dc hello", 5,
                              "the channel's danmaku on the WebSocket")
            self.assertEqual(got["from"]["id"], "bob", got)
            # The sender's channel gets its message once: from the media, with streamTime.
            mine = [m for m in msgs if rt.is_msg(m) and m.get("msgId") == sent["msgId"]]
            self.assertEqual(len(mine), 1, msgs)
            self.assertIsInstance(mine[0].get("streamTime"), int, mine[0])
            self.assertGreater(r["video"]["keyframes"], 0, r["video"])

    def test_02_bad_usersig_login_message_and_the_room_binding(self):
        r, msgs = self.whep("?userid=carol&usersig=" + rc.tampered_sig(rt.APP_ID, rt.KEY, "carol"),
                            [text_send(1, "not yet"),
                             {"cmd": "login", "id": 2, "user": "carol", "usersig": sig("carol")},
                             {"cmd": "join", "id": 3, "room": "live/other"},
                             text_send(4, "after login")])
        h.log("room channel: %r" % msgs[:12])
        self.assertEqual(reply(msgs, "login").get("code"), 70009, msgs)  # the URL's
        self.assertEqual(reply(msgs, rid=1).get("code"), 10007, msgs)    # not logged in
        self.assertEqual(reply(msgs, rid=2).get("code"), 0, msgs)
        self.assertEqual(reply(msgs, rid=3).get("code"), 10007, msgs)    # another room
        self.assertEqual(reply(msgs, rid=4).get("code"), 0, msgs)
        # Viewing never needed the login.
        self.assertGreater(r["video"]["keyframes"], 0, r["video"])

    def test_03_the_rate_limit_of_a_connection(self):
        burst = [text_send(i, "flood %d" % i) for i in range(1, 21)]
        r, msgs = self.whep("?userid=dave&usersig=" + sig("dave"), burst)
        too_fast = [m for m in msgs if m.get("event") == "error" and m.get("code") == 10023]
        answered = [m for m in msgs if m.get("event") == "reply" and m.get("cmd") == "send"]
        h.log("%d sends answered, %d refused as too fast" % (len(answered), len(too_fast)))
        self.assertGreater(len(too_fast), 0, msgs)
        self.assertLessEqual(len(answered), 2 * CLIENT_RATE + 2, msgs)

    def test_04_a_whip_hosts_channel_sends_too(self):
        self.api.create_room("live/host")
        h264, ogg = wt.ndc_media(h.make_tmpdir())
        with self.member("fan", "live/host") as ws:
            code, r = wt.ndc("whip", self.srv.http_url("/whip/live/host"), "--h264", h264,
                             "--room", json.dumps([
                                 {"cmd": "login", "id": 1, "user": "erin", "usersig": sig("erin")},
                                 text_send(2, "from the host")]), seconds=4)
            msgs = received(r)
            h.log("whip room channel: %r" % msgs[:12])
            self.assertEqual(code, 0, r)
            self.assertEqual(reply(msgs, rid=1).get("code"), 0, msgs)
            self.assertEqual(reply(msgs, "join").get("room"), "live/host", msgs)
            sent = reply(msgs, rid=2)
            self.assertEqual(sent.get("code"), 0, sent)
            got = ws.wait_for(lambda e: rt.is_msg(e) and e["body"].get("text") == "from the host",
                              5, "the host's danmaku on the WebSocket")
            self.assertEqual(got["from"]["id"], "erin", got)
            # No media goes back to a publisher: the room sends it its events, once.
            mine = [m for m in msgs if rt.is_msg(m) and m.get("msgId") == sent["msgId"]]
            self.assertEqual(len(mine), 1, msgs)
            self.assertEqual(mine[0].get("room"), "live/host", mine[0])

    def test_05_the_player_page_sends_its_danmaku_on_the_channel(self):
        with self.member("viewer", "live/demo") as ws:
            mark = self.srv.log_mark()
            args = [shutil.which("node"), WHEP_CHAT_SCRIPT, "--base", self.srv.http_url(""),
                    "--room", "live/demo", "--user", "pagefan", "--sig", sig("pagefan"),
                    "--text", "from the page", "--web-root", WEB_ROOT, "--chromium", CHROMIUM]
            h.log("browser: " + " ".join(args[:4]))
            out = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, timeout=120)
            r = json.loads(out.stdout.decode().strip().splitlines()[-1])
            h.log("page: ok=%s sent=%s shown=%s" % (r.get("ok"), r.get("sent"), r.get("shown")))
            self.assertTrue(r.get("ok"), (r, out.stderr.decode()[-2000:]))
            self.assertEqual(r["sent"], "channel", r)
            got = ws.wait_for(lambda e: rt.is_msg(e) and e["body"].get("text") == "from the page",
                              5, "the page's danmaku on the WebSocket")
            self.assertEqual(got["from"]["id"], "pagefan", got)
            self.assertTrue(self.srv.find_log(r"room dc .*: logged in as pagefan", since=mark),
                            self.srv.log_text()[-3000:])


if __name__ == "__main__":
    unittest.main()
