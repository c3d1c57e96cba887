# Webhooks in the seed IM's shapes (issue 5, R14, R20) against a real HTTP receiver
# started by the test: each before-send code's effect on the sender and the room,
# a rewritten MsgBody, the deadline with fail-open and fail-closed, before-join
# refusal, after-send only for delivered messages (never for rate-dropped or
# refused ones), state and member events, the query string and the signature,
# and replies that are not JSON, huge, slow or missing.
# Owner: integration tests. Real time: ~15 s. Reuses room_client.py and room_test's keys.
import hashlib
import hmac
import http.server
import json
import threading
import time
import urllib.parse

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here
from room_fixture import RoomServerTest

SECRET = "hook-secret-0123456789"


class Receiver:
    """A backend's callback handler: records every call; the reply to a before-send
    is chosen by the message text ("reply:1", "reply:rewrite", "reply:slow"...)."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
                body = json.loads(raw)
                with receiver.lock:
                    receiver.calls.append({"query": query, "body": body, "raw": raw,
                                           "sig": self.headers.get("X-Roomcast-Signature")})
                status, reply = receiver.answer(query.get("CallbackCommand"), body)
                data = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        class Server(http.server.ThreadingHTTPServer):
            request_queue_size = 256  # roomcast may have 32 calls in flight
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, command, body):
        ok = {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": ""}
        if command == "Group.CallbackBeforeApplyJoinGroup":
            if body.get("Requestor_Account") == "blocked":
                return 200, dict(ok, ErrorCode=1, ErrorInfo="not welcome")
            return 200, ok
        if command != "Group.CallbackBeforeSendMsg":
            return 200, ok
        text = body["MsgBody"][0]["MsgContent"].get("Text", "")
        kind = text.split(":", 1)[1] if text.startswith("reply:") else "0"
        if kind == "rewrite":
            return 200, dict(ok, MsgBody=[{"MsgType": "TIMTextElem",
                                           "MsgContent": {"Text": "rewritten by the backend"}}])
        if kind == "slow":
            time.sleep(1.5)
            return 200, ok
        if kind == "garbage":
            return 200, b"<html>not json</html>"
        if kind == "huge":
            return 200, dict(ok, Padding="x" * 100000)
        if kind == "500":
            return 500, ok
        return 200, dict(ok, ErrorCode=int(kind), ErrorInfo="backend says %s" % kind)

    def of(self, command):
        with self.lock:
            return [c for c in self.calls if c["query"].get("CallbackCommand") == command]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class WebhookTest(RoomServerTest):
    def setUp(self):
        super().setUp()
        self.hook = Receiver()

    def tearDown(self):
        self.hook.close()

    def server_sets(self):
        return {"webhook.url": "http://127.0.0.1:%d/im/callback" % self.hook.port,
                "webhook.secret": SECRET, "webhook.timeout_ms": 500}

    def member(self, user, room="hooked"):
        return super().member(user, room, check_join=False)

    def say(self, c, text, room="hooked"):
        return c.request("send", room=room, type="text", body={"text": text})

    def texts(self, c):
        return [e["body"]["text"] for e in c.messages("hooked")]

    def test_01_before_send_codes_and_after_send(self):
        with self.serve():
            self.api.create_room("hooked")
            alice, bob = self.member("alice"), self.member("bob")
            self.assertEqual(alice.joined.get("code"), 0, alice.joined)
            replies = {}
            for text in ("plain", "reply:rewrite", "reply:1", "reply:2", "reply:10150"):
                replies[text] = self.say(alice, text)
            self.assertEqual(replies["plain"].get("code"), 0, replies)
            self.assertEqual(replies["reply:rewrite"].get("code"), 0, replies)
            self.assertEqual(replies["reply:1"].get("code"), 10016, replies)
            self.assertEqual(replies["reply:2"].get("code"), 0, replies)  # dropped silently
            self.assertEqual(replies["reply:10150"].get("code"), 10150, replies)
            self.assertEqual(replies["reply:10150"].get("info"), "backend says 10150")
            rc.ok(self.say(alice, "last"), "last")
            bob.wait_for(lambda e: rt.is_msg(e) and e["body"]["text"] == "last", 3, "last")
            self.assertEqual(self.texts(bob), ["plain", "rewritten by the backend", "last"])
            # After-send: exactly the delivered ones, with their seq.
            h.wait_until(lambda: len(self.hook.of("Group.CallbackAfterSendMsg")) >= 3, 3,
                         what="after-send calls")
            time.sleep(0.3)
            after = self.hook.of("Group.CallbackAfterSendMsg")
            self.assertEqual([a["body"]["MsgBody"][0]["MsgContent"]["Text"] for a in after],
                             ["plain", "rewritten by the backend", "last"])
            self.assertTrue(all(isinstance(a["body"].get("MsgSeq"), int) for a in after), after)
            before = self.hook.of("Group.CallbackBeforeSendMsg")
            self.assertEqual(len(before), 6)
            b = before[0]
            self.assertEqual((b["body"]["GroupId"], b["body"]["Type"], b["body"]["From_Account"]),
                             ("hooked", "AVChatRoom", "alice"), b["body"])
            self.assertIn("Random", b["body"])
            q = b["query"]
            self.assertEqual((q["SdkAppid"], q["CallbackCommand"], q["contenttype"], q["ClientIP"]),
                             (str(rt.APP_ID), "Group.CallbackBeforeSendMsg", "json", "127.0.0.1"), q)
            self.assertTrue(q.get("OptPlatform"), q)
            expect = "sha256=" + hmac.new(SECRET.encode(), b["raw"], hashlib.sha256).hexdigest()
            self.assertEqual(b["sig"], expect)
            counters = self.api.ok("GET", "/api/v1/rooms/hooked/counters")
            self.assertEqual((counters["delivered"], counters["rejected"], counters["filtered"]),
                             (3, 2, 1), counters)

    def test_02_deadline_fail_open_and_bad_replies(self):
        with self.serve():
            self.api.create_room("hooked")
            alice, bob = self.member("alice"), self.member("bob")
            t0 = time.time()
            r = self.say(alice, "reply:slow")
            self.assertEqual(r.get("code"), 0, r)
            self.assertLess(time.time() - t0, 1.3, "the 500 ms deadline was not kept")
            for text in ("reply:garbage", "reply:huge", "reply:500"):
                self.assertEqual(self.say(alice, text).get("code"), 0, text)
            rc.ok(self.say(alice, "end"), "end")
            bob.wait_for(lambda e: rt.is_msg(e) and e["body"]["text"] == "end", 3, "end")
            self.assertEqual(self.texts(bob),
                             ["reply:slow", "reply:garbage", "reply:huge", "reply:500", "end"])

    def test_03_fail_closed(self):
        with self.serve(**{"webhook.fail_open": "false"}):
            self.api.create_room("hooked")
            alice, bob = self.member("alice"), self.member("bob")
            r = self.say(alice, "reply:slow")
            self.assertEqual(r.get("code"), 10016, r)
            self.assertIn("did not answer", r.get("info", ""), r)
            self.assertEqual(self.say(alice, "reply:garbage").get("code"), 10016)
            rc.ok(self.say(alice, "fine"), "fine")
            bob.wait_for(lambda e: rt.is_msg(e) and e["body"]["text"] == "fine", 3, "fine")
            self.assertEqual(self.texts(bob), ["fine"])

    def test_04_rate_dropped_messages_get_no_after_send(self):
        with self.serve():
            self.api.create_room("hooked", rateLimit=2)
            bob = self.member("bob")
            # Three senders of 10: a sender may have at most 16 waiting for the backend.
            senders = [self.member(u) for u in ("alice", "carol", "dave")]
            ids = [(s, s.send_cmd("send", room="hooked", type="text", body={"text": "m%d" % i}))
                   for s in senders for i in range(10)]
            for s, rid in ids:
                self.assertEqual(s.reply_to(rid, 5).get("code"), 0)
            time.sleep(2.0)  # the limiter's queue drains or expires
            delivered = self.api.ok("GET", "/api/v1/rooms/hooked/counters")
            self.assertGreater(delivered["rateDropped"], 0, delivered)
            self.assertEqual(len(bob.messages("hooked")), delivered["delivered"])
            h.wait_until(lambda: len(self.hook.of("Group.CallbackAfterSendMsg"))
                         >= delivered["delivered"], 3, what="after-send calls")
            time.sleep(0.3)
            self.assertEqual(len(self.hook.of("Group.CallbackAfterSendMsg")), delivered["delivered"])
            self.assertEqual(len(self.hook.of("Group.CallbackBeforeSendMsg")), 30)

    def test_05_before_join_and_state_events(self):
        with self.serve():
            self.api.create_room("hooked")
            alice = self.member("alice")
            self.assertEqual(alice.joined.get("code"), 0, alice.joined)
            blocked = self.member("blocked")
            self.assertEqual(blocked.joined.get("code"), 10016, blocked.joined)
            self.assertEqual(blocked.joined.get("info"), "not welcome")
            self.assertEqual(self.api.room("hooked")["online"], 1)
            alice.close()
            # Two callbacks, posted independently: either may arrive first.
            h.wait_until(lambda: any(c["body"]["Info"]["Action"] == "Logout"
                                     for c in self.hook.of("State.StateChange")), 3,
                         what="Logout state event")
            h.wait_until(lambda: any(c["body"]["EventType"] == "Offline"
                                     for c in self.hook.of("Group.CallbackOnMemberStateChange")),
                         3, what="Offline member-state event")
            states = [(c["body"]["Info"]["To_Account"], c["body"]["Info"]["Action"],
                       c["body"]["Info"]["Reason"]) for c in self.hook.of("State.StateChange")]
            self.assertIn(("alice", "Login", "Register"), states)
            self.assertIn(("alice", "Logout", "Unregister"), states)
            members = [(c["body"]["MemberList"][0]["Member_Account"], c["body"]["EventType"],
                        c["body"]["EventCause"])
                       for c in self.hook.of("Group.CallbackOnMemberStateChange")]
            self.assertIn(("alice", "Online", "Join"), members)
            self.assertIn(("alice", "Offline", "HeartbeatInterrupt"), members)
            self.assertNotIn("blocked", [m[0] for m in members])

    def test_06_receiver_down_keeps_the_room_going(self):
        self.hook.close()  # nobody listens at the webhook URL
        with self.serve():
            self.api.create_room("hooked")
            alice, bob = self.member("alice"), self.member("bob")
            self.assertEqual(alice.joined.get("code"), 0, alice.joined)
            rc.ok(self.say(alice, "still here"), "fail open")
            bob.wait_for(lambda e: rt.is_msg(e) and e["body"]["text"] == "still here", 3, "msg")
        self.hook = Receiver()  # tearDown closes one

    def test_07_bad_webhook_url_is_a_config_error(self):
        bad = h.run_roomcast(["--config", h.DEFAULT_CONFIG, "--check",
                              "--set", "webhook.url=https://example.com/x"])
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("webhook.url", bad.stdout + bad.stderr)


if __name__ == "__main__":
    h.main()
