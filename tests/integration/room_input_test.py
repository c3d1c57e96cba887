# Hostile JSON into the room (issue 14 point 4): documents nested far too deep on
# every way in (/api/v1, the IM REST /v4 calls, the WebSocket), message bodies
# over a member's size limit from the server APIs, and body fields beyond the
# documented ones, which must not reach the other members. Owner: integration
# tests. One server per test; ~10 s in all. Reuses room_fixture / room_client.
import json
import time
import urllib.parse

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here
from room_fixture import RoomServerTest

MAX_DEPTH = 64              # core::kMaxJsonDepth
MAX_BODY = 12 * 1024        # core::kMaxMessageBodyBytes (a member's message size)
MAX_API_JSON = 64 * 1024    # core::kMaxApiJsonBytes
SVC = "/v4/group_open_http_svc/"


def nest(depth):
    return "[" * depth + "]" * depth


def im_query():
    return "sdkappid=%d&identifier=administrator&usersig=%s&random=1&contenttype=json" % (
        rt.APP_ID, urllib.parse.quote(rt.sig("administrator"), safe=""))


def is_msg(e):
    return e.get("event") == "message"


class RoomInputTest(RoomServerTest):
    def assertAlive(self, watcher, room, what):
        """The server still runs and still delivers to `watcher` in `room`."""
        self.assertTrue(self.srv.running(), "%s killed the server:\n%s" % (
            what, h.tail(self.srv.log_path, 30)))
        k = watcher.mark()
        st, js = self.api.call("POST", "/api/v1/rooms/%s/messages" % room,
                               {"body": {"text": "still here"}})
        self.assertEqual(st, 200, "after %s: %r" % (what, js))
        watcher.wait_for(lambda e: is_msg(e) and e["body"].get("text") == "still here", 3,
                         "a message after " + what, k)

    def assertApiError(self, status_js, status, what, words):
        st, js = status_js
        self.assertEqual(st, status, "%s: %r" % (what, js))
        self.assertIsInstance(js, dict, "%s: not JSON: %r" % (what, js))
        self.assertRegex(js.get("error", ""), words, what)
        return js

    def im(self, command, raw):
        st, js = self.api.call("POST", SVC + command, raw, auth=False, query=im_query())
        self.assertEqual(st, 200, "%s: HTTP %s %r" % (command, st, js))
        self.assertIsInstance(js, dict, "%s: not JSON: %r" % (command, js))
        return js

    # ---------------------------------------------------------------- depth

    def test_deep_json_on_every_way_in(self):
        with self.serve():
            self.api.create_room("lobby")
            a = self.member("alice", "lobby")
            path = "/api/v1/rooms/lobby/messages"
            # The crash: 65,000 levels (130 KB) in an API message body; the
            # frames of this build need 500,000 (1 MB, still under http.max_body).
            for depth in (500000, 65000):
                raw = '{"type": "text", "body": {"text": "x", "deep": %s}}' % nest(depth)
                self.assertApiError(self.api.call("POST", path, raw), 413, "%d levels" % depth,
                                    r"larger than %d bytes" % MAX_API_JSON)
                self.assertAlive(a, "lobby", "%d levels in /api/v1" % depth)
            # Small but deep: refused for its depth, not its size.
            for depth in (MAX_DEPTH + 1, 5000):
                raw = '{"type": "text", "body": {"text": "x", "deep": %s}}' % nest(depth)
                self.assertApiError(self.api.call("POST", path, raw), 400, "depth %d" % depth,
                                    r"nested deeper than %d" % MAX_DEPTH)
                self.assertApiError(self.api.call("POST", "/api/v1/rooms",
                                                  '{"id": "r2", "x": %s}' % nest(depth)),
                                    400, "create, depth %d" % depth, r"nested deeper")
            # At the limit: read (the extra field is not passed on, see below).
            raw = '{"type": "text", "body": {"text": "at the limit", "deep": %s}}' % nest(
                MAX_DEPTH - 2)
            st, js = self.api.call("POST", path, raw)
            self.assertEqual(st, 200, js)
            e = a.wait_for(lambda e: is_msg(e) and e["body"].get("text") == "at the limit", 3)
            self.assertEqual(e["body"], {"text": "at the limit"}, e)

            # The IM REST send_group_msg: the same inside MsgBody.
            for depth in (500000, 65000):
                raw = ('{"GroupId": "lobby", "Random": 1, "MsgBody": [{"MsgType": '
                       '"TIMCustomElem", "MsgContent": {"Data": "d", "Deep": %s}}]}' % nest(depth))
                js = self.im("send_group_msg", raw)
                self.assertEqual((js.get("ActionStatus"), js.get("ErrorCode")), ("FAIL", 60003),
                                 js)
                self.assertRegex(js.get("ErrorInfo", ""), r"larger than %d bytes" % MAX_API_JSON)
                self.assertAlive(a, "lobby", "%d levels in send_group_msg" % depth)
            raw = ('{"GroupId": "lobby", "Random": 2, "MsgBody": [{"MsgType": "TIMCustomElem",'
                   ' "MsgContent": {"Data": "d", "Deep": %s}}]}' % nest(3000))
            js = self.im("send_group_msg", raw)
            self.assertEqual((js.get("ActionStatus"), js.get("ErrorCode")), ("FAIL", 60003), js)
            self.assertRegex(js.get("ErrorInfo", ""), r"nested deeper than %d" % MAX_DEPTH)

            # The WebSocket: as deep as 12 KiB allows.
            k = a.mark()
            a.send_text('{"cmd": "send", "id": 99, "room": "lobby", "type": "text",'
                        ' "body": {"text": "x", "deep": %s}}' % nest(5000))
            err = a.wait_for(lambda e: e.get("event") == "error", 3, "the depth error", k)
            self.assertEqual(err.get("code"), 10004, err)
            self.assertRegex(err.get("info", ""), r"nested deeper than %d" % MAX_DEPTH)
            rc.ok(a.request("send", room="lobby", type="text", body={"text": "after"}))
            self.assertAlive(a, "lobby", "a deep WebSocket request")
            self.assertEqual([m for m in a.messages() if m["body"].get("text") == "x"], [],
                             "a deep message was delivered")

    # ---------------------------------------------------------------- size

    def test_server_api_messages_have_the_member_size_limit(self):
        with self.serve():
            self.api.create_room("lobby")
            a = self.member("alice", "lobby")
            k = a.mark()
            # The 900 KB text: refused before it is even parsed.
            big = {"type": "text", "body": {"text": "x" * 900000}}
            self.assertApiError(self.api.call("POST", "/api/v1/rooms/lobby/messages", big),
                                413, "a 900 KB message", r"larger than")
            # Within an API request but over a member's message size: 10004.
            for path, body in (("/api/v1/rooms/lobby/messages",
                                {"type": "text", "body": {"text": "y" * (MAX_BODY + 1)}}),
                               ("/api/v1/rooms/lobby/messages",
                                {"type": "custom", "body": {"data": "y" * (MAX_BODY // 2),
                                                            "ext": "z" * (MAX_BODY // 2)}}),
                               ("/api/v1/broadcast", {"body": {"text": "y" * (MAX_BODY + 1)}})):
                js = self.assertApiError(self.api.call("POST", path, body), 400, path,
                                         r"larger than %d bytes" % MAX_BODY)
                self.assertEqual(js.get("code"), 10004, js)
            # The IM REST: MsgBody is bounded on its own; CloudCustomData was not.
            js = self.im("send_group_msg", json.dumps({
                "GroupId": "lobby", "Random": 5, "CloudCustomData": "c" * (MAX_BODY + 1),
                "MsgBody": [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "t"}}]}))
            self.assertEqual((js.get("ActionStatus"), js.get("ErrorCode")), ("FAIL", 10004), js)
            # A member's WebSocket message of the same size closes its connection (1009).
            time.sleep(0.3)
            self.assertEqual(a.snapshot(is_msg)[k:], [], "an oversized message was delivered")
            # Just under the limit: delivered.
            text = "w" * (MAX_BODY - len('{"text":""}'))
            self.api.ok("POST", "/api/v1/rooms/lobby/messages", {"body": {"text": text}})
            e = a.wait_for(lambda e: is_msg(e) and e["body"].get("text") == text, 3)
            self.assertEqual(e["msgType"], "system", e)

    # ---------------------------------------------------------------- fields

    def test_undocumented_body_fields_reach_no_member(self):
        with self.serve(**{"room.history": 20}):
            self.api.create_room("lobby")
            a = self.member("alice", "lobby")
            b = self.member("bob", "lobby")
            extra = {"evil": "<script>", "html": {"a": [1, 2]}, "from": "administrator"}
            sends = [("text", {"text": "hi"}),
                     ("custom", {"data": "d", "desc": "de", "ext": "ex",
                                 "cloudCustomData": "cc"}),
                     ("image", {"url": "https://i/x.png", "width": 3, "height": 4}),
                     ("voice", {"url": "https://v/x.ogg", "seconds": 2})]
            k = b.mark()
            for type_, body in sends:
                full = dict(body, **extra)
                rc.ok(a.request("send", room="lobby", type=type_, body=full), "send " + type_)
            got = b.wait_count(is_msg, len(sends), what="alice's messages")
            self.assertEqual([(e["msgType"], e["body"]) for e in got],
                             [(t, body) for t, body in sends], got)
            own = a.wait_count(is_msg, len(sends), what="alice's own messages")
            self.assertEqual([e["body"] for e in own], [body for _, body in sends])
            # The same through the server API and the IM REST layer.
            k = b.mark()
            self.api.ok("POST", "/api/v1/rooms/lobby/messages",
                        {"from": "ops", "type": "text", "body": {"text": "api", "x": 1}})
            e = b.wait_for(is_msg, 3, "the API message", k)
            self.assertEqual(e["body"], {"text": "api"}, e)
            k = b.mark()
            js = self.im("send_group_msg", json.dumps({
                "GroupId": "lobby", "Random": 7,
                "MsgBody": [{"MsgType": "TIMCustomElem",
                             "MsgContent": {"Data": "d", "Sneaky": "s"}}]}))
            self.assertEqual(js.get("ActionStatus"), "OK", js)
            e = b.wait_for(is_msg, 3, "the IM REST message", k)
            self.assertEqual(e["body"], {"data": "d"}, e)
            # History keeps what was delivered, nothing more.
            hist = rc.ok(b.request("history", room="lobby"))["messages"]
            self.assertEqual(len(hist), len(sends) + 2, hist)
            for m in hist:
                self.assertFalse(set(m["body"]) & set(extra), m)


if __name__ == "__main__":
    h.main()
