# The seed IM's REST calls (issue 5 point 9, docs/im-rest-compat.md) against the
# real server: POST /v4/group_open_http_svc/<command> and
# /v4/group_open_avchatroom_http_svc/get_members with the IM's query auth, always
# HTTP 200 with ActionStatus/ErrorCode; each call's effect as a WebSocket member
# sees it. Owner: integration tests. Real time: ~4 s. Reuses room_client.py.
import json
import time
import urllib.parse

import harness as h
import room_client as rc
import room_test as rt
from room_fixture import RoomServerTest  # the module only: its RoomTest must not run from here

SVC = "/v4/group_open_http_svc/"
AV = "/v4/group_open_avchatroom_http_svc/"
FOREVER = 4294967295


def query(identifier="administrator", sig=None, app_id=rt.APP_ID, **extra):
    q = {"sdkappid": app_id, "identifier": identifier,
         "usersig": rt.sig(identifier) if sig is None else sig,
         "random": 99999999, "contenttype": "json"}
    q.update(extra)
    return urllib.parse.urlencode({k: v for k, v in q.items() if v is not None})


def text_body(text):
    return [{"MsgType": "TIMTextElem", "MsgContent": {"Text": text}}]


def is_msg(e, room=None):
    return rt.is_msg(e, room)


class ImRestTest(RoomServerTest):
    def say(self, c, text, room):
        return c.request("send", room=room, type="text", body={"text": text})

    # -- the IM calls
    def raw(self, path, body, q=None, method="POST"):
        """(HTTP status, parsed reply) of one call; body is a dict or raw text."""
        return self.api.call(method, path, body, auth=False, query=q or query())

    def im(self, command, body, q=None, service=SVC):
        st, js = self.raw(service + command, body, q)
        self.assertEqual(st, 200, "%s: HTTP %s %r" % (command, st, js))
        self.assertIsInstance(js, dict, "%s: not JSON: %r" % (command, js))
        self.assertIn(js.get("ActionStatus"), ("OK", "FAIL"), js)
        self.assertIsInstance(js.get("ErrorCode"), int, js)
        self.assertIsInstance(js.get("ErrorInfo"), str, js)
        return js

    def im_ok(self, command, body, service=SVC):
        js = self.im(command, body, service=service)
        self.assertEqual((js["ActionStatus"], js["ErrorCode"], js["ErrorInfo"]), ("OK", 0, ""),
                         "%s %r -> %r" % (command, body, js))
        return js

    def im_fail(self, command, body, code, q=None, service=SVC):
        js = self.im(command, body, q, service)
        self.assertEqual((js["ActionStatus"], js["ErrorCode"]), ("FAIL", code),
                         "%s %r -> %r" % (command, body, js))
        self.assertTrue(js["ErrorInfo"], js)
        return js

    # ---------------------------------------------------------------- 1

    def test_01_auth_and_bad_requests(self):
        with self.serve(**{"room.admins": '["ops"]'}):
            self.api.create_room("live/a", owner="olivia")
            a = self.member("alice", "live/a")
            call = {"GroupId": "live/a"}
            cmd = "get_online_member_num"
            self.im_fail(cmd, call, 60004, q=query(sig=""))
            self.im_fail(cmd, call, 60004, q="sdkappid=%d&identifier=administrator" % rt.APP_ID)
            self.im_fail(cmd, call, 60010, q=query("alice"))  # a valid sig, but no admin
            self.im_fail(cmd, call, 60006, q=query(app_id=rt.APP_ID + 1))
            self.im_fail(cmd, call, 60012, q=query(app_id=None))
            self.im_fail(cmd, call, 70009,
                         q=query(sig=rc.tampered_sig(rt.APP_ID, rt.KEY, "administrator")))
            self.im_fail(cmd, call, 70003, q=query(sig="not-a-usersig"))
            self.im_fail(cmd, call, 70001, q=query(sig=rc.user_sig(
                rt.APP_ID, rt.KEY, "administrator", expire=10, now=time.time() - 100)))
            # A sig of another identifier than the one claimed.
            self.im_fail(cmd, call, 70013, q=query("ops", sig=rt.sig("administrator")))
            self.im_fail(cmd, call, 60002, q=query(contenttype="xml"))
            self.im_fail(cmd, call, 60002, q=query() + "&usersig=again")
            st, js = self.raw(SVC + cmd, None, method="GET")
            self.assertEqual((st, js["ActionStatus"], js["ErrorCode"]), (200, "FAIL", 60002), js)
            # A listed admin passes; so does the built-in "administrator".
            js = self.im(cmd, call, q=query("ops"))
            self.assertEqual((js["ActionStatus"], js["OnlineMemberNum"]), ("OK", 1), js)
            # Unknown commands, bad bodies, unknown groups.
            self.im_fail("no_such_command", call, 10003)
            self.im_fail("get_nothing", call, 10003, service=AV)
            self.im_fail(cmd, '{"GroupId": "live/a"', 60003)
            self.im_fail(cmd, "", 60003)
            self.im_fail(cmd, b"\xff\xfe{}", 60003)
            self.im_fail(cmd, [call], 10004)
            self.im_fail(cmd, {}, 10004)
            self.im_fail(cmd, {"GroupId": 7}, 10004)
            self.im_fail(cmd, {"GroupId": "live/none"}, 10010)
            self.im_fail("send_group_msg", {"GroupId": "nope", "Random": 1,
                                            "MsgBody": text_body("x")}, 10010)
            # None of it reached the member.
            time.sleep(0.2)
            self.assertEqual(a.messages(), [])

    # ---------------------------------------------------------------- 2

    def test_02_send_group_msg(self):
        with self.serve(**{"room.admins": '["ops"]'}):
            self.api.create_room("live/a")
            a = self.member("alice", "live/a")
            t0 = int(time.time())
            r = self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 8912345,
                                              "MsgPriority": "High",
                                              "MsgBody": text_body("red packet")})
            self.assertTrue(t0 - 1 <= r.get("MsgTime", 0) <= t0 + 2, r)
            self.assertIsInstance(r.get("MsgSeq"), int, r)
            self.assertGreater(r["MsgSeq"], 0, r)
            e = a.wait_for(lambda e: is_msg(e, "live/a"), 2, "the REST text")
            self.assertEqual((e["msgType"], e["priority"], e["body"]),
                             ("text", "High", {"text": "red packet"}), e)
            self.assertEqual((e["from"]["id"], e["from"]["role"]), ("administrator", "admin"), e)
            self.assertEqual(e["msgId"], r.get("MsgId"), (e, r))
            # The same Random from the same sender within 5 min: OK, not sent again.
            again = self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 8912345,
                                                  "MsgBody": text_body("red packet")})
            self.assertEqual((again["MsgSeq"], again["MsgTime"]), (r["MsgSeq"], r["MsgTime"]))
            self.assertTrue(again.get("Duplicate"), again)
            # ... but the same Random from another sender is another message.
            k = a.mark()
            r2 = self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 8912345,
                                               "From_Account": "leckie", "MsgPriority": "Low",
                                               "CloudCustomData": "cc",
                                               "MsgBody": [{"MsgType": "TIMCustomElem",
                                                            "MsgContent": {"Data": "{\"t\":1}",
                                                                           "Desc": "d",
                                                                           "Ext": "x"}}]})
            self.assertGreater(r2["MsgSeq"], r["MsgSeq"], r2)
            e = a.wait_for(lambda e: is_msg(e), 2, "the custom message", k)
            self.assertEqual((e["msgType"], e["priority"], e["from"]["id"], e["from"]["role"]),
                             ("custom", "Low", "leckie", "member"), e)
            self.assertEqual(e["body"], {"data": "{\"t\":1}", "desc": "d", "ext": "x",
                                         "cloudCustomData": "cc"}, e)
            # Several elements: every one kept (issue 15): the first is the message's
            # type and body, "elements" lists them all; a face is a custom element
            # named by its MsgType.
            body = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "hi"}},
                    {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "abc"}}]
            k = a.mark()
            self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 2,
                                          "From_Account": "ops", "MsgBody": body})
            e = a.wait_for(lambda e: is_msg(e), 2, "the multi-element message", k)
            self.assertEqual((e["msgType"], e["priority"], e["body"]),
                             ("text", "Normal", {"text": "hi"}), e)
            self.assertEqual([x["type"] for x in e["elements"]], ["text", "custom"], e)
            self.assertEqual(e["elements"][1]["body"]["desc"], "TIMFaceElem", e)
            self.assertEqual(json.loads(e["elements"][1]["body"]["data"]), body[1]["MsgContent"], e)
            self.assertEqual(e["from"]["role"], "admin", e)
            # An image: its original's URL and size.
            k = a.mark()
            img = {"UUID": "u1", "ImageFormat": 1, "ImageInfoArray": [
                {"Type": 3, "Size": 10, "Width": 64, "Height": 48, "URL": "https://i/s.jpg"},
                {"Type": 1, "Size": 99, "Width": 640, "Height": 480, "URL": "https://i/o.jpg"}]}
            self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 3,
                                          "MsgBody": [{"MsgType": "TIMImageElem",
                                                       "MsgContent": img}]})
            e = a.wait_for(lambda e: is_msg(e), 2, "the image", k)
            self.assertEqual((e["msgType"], e["body"]),
                             ("image", {"url": "https://i/o.jpg", "width": 640, "height": 480}), e)
            time.sleep(0.3)
            self.assertEqual(len(a.messages()), 4, "the duplicate was delivered: %r" % a.messages())
            # Bad messages: 10004, nothing delivered, counted as rejected.
            k = a.mark()
            bad = [{"Random": 9, "MsgBody": []},
                   {"Random": 9, "MsgBody": "hi"},
                   {"Random": 9, "MsgBody": text_body("")},
                   {"Random": 9, "MsgBody": [{"MsgType": "TIMTextElem"}]},
                   {"Random": 9, "MsgBody": [{"MsgType": "TIMBogusElem", "MsgContent": {}}]},
                   {"Random": 9, "MsgBody": [{"MsgType": "TIMCustomElem",
                                              "MsgContent": {"Data": 5}}]},
                   {"Random": 9, "MsgBody": [{"MsgType": "TIMImageElem",
                                              "MsgContent": {"ImageInfoArray": []}}]},
                   {"Random": 9, "MsgBody": text_body("x" * 13000)},
                   {"Random": 9, "MsgBody": text_body("x") * 21},
                   {"MsgBody": text_body("no random")},
                   {"Random": -1, "MsgBody": text_body("x")},
                   {"Random": 4294967296, "MsgBody": text_body("x")},
                   {"Random": "1", "MsgBody": text_body("x")},
                   {"Random": 9, "MsgPriority": "Urgent", "MsgBody": text_body("x")},
                   {"Random": 9, "From_Account": "u" * 33, "MsgBody": text_body("x")},
                   {"Random": 9, "CloudCustomData": 5, "MsgBody": text_body("x")}]
            for b in bad:
                b["GroupId"] = "live/a"
                self.im_fail("send_group_msg", b, 10004)
            time.sleep(0.2)
            self.assertEqual(a.snapshot(is_msg)[4:], [], "a bad message was delivered")
            counters = self.api.ok("GET", "/api/v1/rooms/live/a/counters")
            self.assertGreaterEqual(counters["rejected"], len(bad) - 7, counters)
            # The native priority names work in any case.
            self.im_ok("send_group_msg", {"GroupId": "live/a", "Random": 10,
                                          "MsgPriority": "lowest", "MsgBody": text_body("l")})
            e = a.wait_for(lambda e: is_msg(e) and e["body"].get("text") == "l", 2, "lowest", k)
            self.assertEqual(e["priority"], "Lowest", e)

    # ---------------------------------------------------------------- 3

    def test_03_system_notification_and_broadcast(self):
        with self.serve():
            self.api.create_room("live/a")
            self.api.create_room("live/b")
            a, b = self.member("alice", "live/a"), self.member("bob", "live/b")
            self.im_ok("send_group_system_notification",
                       {"GroupId": "live/a", "Content": "Hello World"})
            e = a.wait_for(lambda e: is_msg(e), 2, "the system notification")
            self.assertEqual((e["msgType"], e["priority"], e["body"], e["from"]["id"]),
                             ("system", "High", {"text": "Hello World"}, "administrator"), e)
            self.im_fail("send_group_system_notification",
                         {"GroupId": "live/a", "Content": "x", "ToMembers_Account": ["alice"]},
                         10004)
            self.im_fail("send_group_system_notification", {"GroupId": "live/a"}, 10004)
            self.im_fail("send_group_system_notification",
                         {"GroupId": "live/a", "Content": ""}, 10004)
            self.im_fail("send_group_system_notification",
                         {"GroupId": "live/x", "Content": "x"}, 10010)
            ka, kb = a.mark(), b.mark()
            r = self.im_ok("send_broadcast_msg", {"Random": 77, "MsgBody": text_body("to all")})
            self.assertEqual(r.get("GroupNum"), 2, r)
            self.assertIsInstance(r.get("MsgTime"), int, r)
            for c, k in ((a, ka), (b, kb)):
                e = c.wait_for(lambda e: is_msg(e), 2, "the broadcast at " + c.name, k)
                self.assertEqual((e["msgType"], e["priority"], e["body"]["text"]),
                                 ("system", "High", "to all"), e)
            again = self.im_ok("send_broadcast_msg", {"Random": 77,
                                                      "MsgBody": text_body("to all")})
            self.assertTrue(again.get("Duplicate"), again)
            kb = b.mark()
            self.im_ok("send_broadcast_msg", {"Random": 78, "MsgBody": [
                {"MsgType": "TIMCustomElem", "MsgContent": {"Data": "{\"type\":1}"}}]})
            e = b.wait_for(lambda e: is_msg(e), 2, "the custom broadcast", kb)
            self.assertEqual((e["msgType"], e["priority"], e["body"]),
                             ("custom", "High", {"data": "{\"type\":1}"}), e)
            time.sleep(0.3)
            self.assertEqual(len(a.messages()), 3, a.messages())
            self.im_fail("send_broadcast_msg", {"MsgBody": text_body("no random")}, 10004)
            self.im_fail("send_broadcast_msg", {"Random": 1}, 10004)

    # ---------------------------------------------------------------- 4

    def test_04_forbid_send_msg_and_shutted_list(self):
        with self.serve():
            self.api.create_room("mod")
            a, b = self.member("alice", "mod"), self.member("bob", "mod")
            k = b.mark()
            t0 = int(time.time())
            self.im_ok("forbid_send_msg", {"GroupId": "mod", "Members_Account": ["alice"],
                                           "ShutUpTime": 60})
            e = b.wait_for(lambda e: e.get("event") == "mute", 2, "mute event", k)
            self.assertEqual((e.get("user"), e.get("seconds")), ("alice", 60), e)
            self.assertEqual(self.say(a, "x", "mod").get("code"), 10017)
            rc.ok(self.say(b, "bob speaks", "mod"), "bob")
            self.im_ok("forbid_send_msg", {"GroupId": "mod", "Members_Account": ["carol"],
                                           "ShutUpTime": FOREVER})
            r = self.im_ok("get_group_shutted_uin", {"GroupId": "mod"})
            self.assertEqual(r.get("GroupId"), "mod", r)
            got = {m["Member_Account"]: m["ShuttedUntil"] for m in r["ShuttedUinList"]}
            self.assertEqual(set(got), {"alice", "carol"}, r)
            self.assertTrue(t0 + 59 <= got["alice"] <= t0 + 62, r)
            self.assertEqual(got["carol"], FOREVER, r)
            # Kept across leaving and joining again; 0 lifts it.
            rc.ok(a.request("leave", room="mod"), "leave")
            self.assertTrue(rc.ok(a.request("join", room="mod"), "rejoin").get("muted"))
            self.im_ok("forbid_send_msg", {"GroupId": "mod", "Members_Account": ["alice"],
                                           "ShutUpTime": 0})
            rc.ok(self.say(a, "free", "mod"), "alice unmuted")
            r = self.im_ok("get_group_shutted_uin", {"GroupId": "mod"})
            self.assertEqual([m["Member_Account"] for m in r["ShuttedUinList"]], ["carol"], r)
            for body in ({"GroupId": "mod", "Members_Account": ["alice"]},
                         {"GroupId": "mod", "Members_Account": ["alice"], "ShutUpTime": -5},
                         {"GroupId": "mod", "Members_Account": ["alice"], "ShutUpTime": "60"},
                         {"GroupId": "mod", "Members_Account": [], "ShutUpTime": 60},
                         {"GroupId": "mod", "Members_Account": "alice", "ShutUpTime": 60},
                         {"GroupId": "mod", "Members_Account": ["u%d" % i for i in range(501)],
                          "ShutUpTime": 60},
                         {"GroupId": "mod", "Members_Account": ["x" * 33], "ShutUpTime": 60}):
                self.im_fail("forbid_send_msg", body, 10004)
            self.im_fail("get_group_shutted_uin", {"GroupId": "none"}, 10010)

    # ---------------------------------------------------------------- 5

    def test_05_modify_group_base_info_and_get_group_info(self):
        with self.serve():
            self.api.create_room("live/a", owner="olivia")
            a, b = self.member("alice", "live/a"), self.member("bob", "live/a")
            k = a.mark()
            self.im_ok("modify_group_base_info", {
                "GroupId": "live/a", "Name": "ignored", "Notification": "be nice",
                "Introduction": "a live show",
                "AppDefinedData": [{"Key": "topic", "Value": "news"},
                                   {"Key": "lang", "Value": "en"}]})
            e = a.wait_for(lambda e: e.get("event") == "info", 2, "info event", k)
            self.assertEqual((e.get("announcement"), e.get("introduction"), e.get("attributes")),
                             ("be nice", "a live show", {"topic": "news", "lang": "en"}), e)
            room = self.api.room("live/a")
            self.assertEqual((room["announcement"], room["attributes"]),
                             ("be nice", {"topic": "news", "lang": "en"}), room)
            # All or nothing: a too long Notification changes nothing.
            self.im_fail("modify_group_base_info", {"GroupId": "live/a", "Introduction": "new",
                                                    "Notification": "n" * 301}, 10004)
            self.assertEqual(self.api.room("live/a")["introduction"], "a live show")
            for body in ({"GroupId": "live/a", "MuteAllMember": "yes"},
                         {"GroupId": "live/a", "ShutUpAllMember": True},
                         {"GroupId": "live/a", "AppDefinedData": {"topic": "x"}},
                         {"GroupId": "live/a", "AppDefinedData": [{"Key": "topic"}]},
                         {"GroupId": "live/a", "AppDefinedData": [{"Key": "bad key!",
                                                                   "Value": "v"}]},
                         {"GroupId": "live/a", "Notification": 5}):
                self.im_fail("modify_group_base_info", body, 10004)
            # MuteAllMember (and the vendor's ShutUpAllMember) mute the whole room.
            k = a.mark()
            self.im_ok("modify_group_base_info", {"GroupId": "live/a", "MuteAllMember": "On"})
            e = a.wait_for(lambda e: e.get("event") == "mute" and e.get("all") is True, 2,
                           "room mute event", k)
            self.assertEqual(self.say(a, "x", "live/a").get("code"), 10017)
            r = self.im_ok("get_group_info", {"GroupIdList": ["live/a", "live/none"]})
            info, missing = r["GroupInfo"]
            self.assertEqual((info["GroupId"], info["ErrorCode"], info["Type"]),
                             ("live/a", 0, "AVChatRoom"), info)
            self.assertEqual((info["Notification"], info["Introduction"], info["Owner_Account"]),
                             ("be nice", "a live show", "olivia"), info)
            self.assertEqual((info["MemberNum"], info["ShutUpAllMember"]), (2, "On"), info)
            self.assertEqual(sorted((d["Key"], d["Value"]) for d in info["AppDefinedData"]),
                             [("lang", "en"), ("topic", "news")], info)
            self.assertTrue(abs(info["CreateTime"] - time.time()) < 30, info)
            self.assertEqual((missing["GroupId"], missing["ErrorCode"]), ("live/none", 10010), r)
            self.im_ok("modify_group_base_info", {"GroupId": "live/a", "ShutUpAllMember": "Off",
                                                  "AppDefinedData": [{"Key": "lang",
                                                                      "Value": ""}]})
            rc.ok(self.say(a, "open again", "live/a"), "room unmuted")
            r = self.im_ok("get_group_info", {"GroupIdList": ["live/a"]})
            self.assertEqual(r["GroupInfo"][0]["ShutUpAllMember"], "Off", r)
            self.assertEqual(r["GroupInfo"][0]["AppDefinedData"],
                             [{"Key": "topic", "Value": "news"}], r)
            for body in ({}, {"GroupIdList": []}, {"GroupIdList": "live/a"},
                         {"GroupIdList": [1]}, {"GroupIdList": ["g%d" % i for i in range(51)]}):
                self.im_fail("get_group_info", body, 10004)
            r = self.im_ok("get_online_member_num", {"GroupId": "live/a"})
            self.assertEqual(r.get("OnlineMemberNum"), 2, r)
            b.close()
            h.wait_until(lambda: self.im_ok("get_online_member_num", {"GroupId": "live/a"})
                         .get("OnlineMemberNum") == 1, 3, what="bob's leave to count")

    # ---------------------------------------------------------------- 6

    def test_06_members_ban_unban(self):
        with self.serve():
            self.api.create_room("live/a")
            t0 = int(time.time())
            a, b = self.member("alice", "live/a"), self.member("bob", "live/a")
            r = self.im_ok("get_members", {"GroupId": "live/a", "Timestamp": 0}, service=AV)
            self.assertEqual(r.get("NextTimestamp"), 0, r)
            self.assertEqual(r.get("MemberNum"), 2, r)
            self.assertEqual(sorted(m["Member_Account"] for m in r["MemberList"]),
                             ["alice", "bob"], r)
            for m in r["MemberList"]:
                self.assertTrue(t0 - 1 <= m["JoinTime"] <= t0 + 5, m)
            self.im_fail("get_members", {"GroupId": "live/none"}, 10010, service=AV)
            self.im_fail("get_members", {"GroupId": "live/a", "Timestamp": "0"}, 10004,
                         service=AV)
            k = b.mark()
            self.im_ok("ban_group_member", {"GroupId": "live/a", "Members_Account": ["alice"],
                                            "Duration": 60, "Description": "spam"})
            e = a.wait_for(lambda e: e.get("event") == "kicked", 2, "kicked at alice")
            self.assertEqual((e.get("user"), e.get("reason")), ("alice", "spam"), e)
            b.wait_for(lambda e: e.get("event") == "kicked" and e.get("user") == "alice", 2,
                       "kicked event at bob", k)
            r = a.request("join", room="live/a")
            self.assertEqual(r.get("code"), 10007, r)
            r = self.im_ok("get_members", {"GroupId": "live/a"}, service=AV)
            self.assertEqual([m["Member_Account"] for m in r["MemberList"]], ["bob"], r)
            r = self.im_ok("get_group_ban_member", {"GroupId": "live/a", "Limit": 10, "Offset": 0})
            self.assertEqual([m["Member_Account"] for m in r["BannedAccountList"]], ["alice"], r)
            self.assertTrue(t0 + 59 <= r["BannedAccountList"][0]["BannedUntil"] <= t0 + 65, r)
            self.assertEqual(r.get("NextOffset"), 0, r)
            self.im_ok("unban_group_member", {"GroupId": "live/a", "Members_Account": ["alice"]})
            rc.ok(a.request("join", room="live/a"), "alice joins after the unban")
            r = self.im_ok("get_group_ban_member", {"GroupId": "live/a"})
            self.assertEqual(r["BannedAccountList"], [], r)
            # No Description: the reason is "banned".
            self.im_ok("ban_group_member", {"GroupId": "live/a", "Members_Account": ["bob"],
                                            "Duration": 1})
            e = b.wait_for(lambda e: e.get("event") == "kicked" and e.get("user") == "bob", 2,
                           "bob kicked")
            self.assertEqual(e.get("reason"), "banned", e)
            h.wait_until(lambda: b.request("join", room="live/a").get("code") == 0, 3,
                         what="the 1 s ban to end")
            for body in ({"GroupId": "live/a", "Members_Account": ["x"]},
                         {"GroupId": "live/a", "Members_Account": ["x"], "Duration": 0},
                         {"GroupId": "live/a", "Members_Account": ["x"], "Duration": 1.5},
                         {"GroupId": "live/a", "Members_Account": ["x"], "Duration": 5,
                          "Description": "d" * 257},
                         {"GroupId": "live/a", "Duration": 5}):
                self.im_fail("ban_group_member", body, 10004)
            self.im_fail("unban_group_member", {"GroupId": "live/a"}, 10004)
            self.im_fail("get_group_ban_member", {"GroupId": "live/a", "Limit": 0}, 10004)


if __name__ == "__main__":
    h.main()
