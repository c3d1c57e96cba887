# The seed IM's backend contract (issue 15 point 1), written from the vendor's own
# documented shapes, not from roomcast's docs: an existing backend's REST calls
# and callback handler must work unchanged. Each test names the vendor page its
# shapes come from. A real callback receiver (webhook_test.Receiver) records
# every callback; REST calls as im_rest_test makes them.
# Owner: integration tests. Real time: ~15 s. Reuses im_rest_test and webhook_test.
import time

import harness as h
import im_rest_test as it  # the module only: its ImRestTest must not run from here
import room_client as rc
import room_test as rt
import webhook_test as wt  # the module only: its WebhookTest must not run from here
from room_fixture import RoomServerTest

# Vendor pages (Tencent Cloud Chat, "IM"), the source of every shape below.
# Pages named by title were not fetched by address; the shape is also in
# /work/shared/reference/chat-room.md ("Webhooks of the seed's IM").
PAGE_CALLBACK_OVERVIEW = "Webhook Overview: Callback Protocols (OptPlatform values)"
PAGE_BEFORE_SEND = "https://intl.cloud.tencent.com/document/product/1047/34374"
PAGE_AFTER_SEND = "https://intl.cloud.tencent.com/document/product/1047/34375"
PAGE_MEMBER_STATE = "Callback for Online Status Changes of Audio-Video Group Members"
PAGE_SEND_GROUP_MSG = "https://intl.cloud.tencent.com/document/product/1047/34959"
PAGE_CREATE_GROUP = "https://intl.cloud.tencent.com/document/product/1047/34895"
PAGE_DESTROY_GROUP = "Disbanding a Group (v4/group_open_http_svc/destroy_group)"
PAGE_MODIFY_GROUP = "Modifying the Profile of a Group (modify_group_base_info)"
PAGE_MUTED_ACCOUNT = "Getting the List of Muted Group Members (get_group_muted_account)"
PAGE_BAN_MEMBER = "https://trtc.io/document/50296"  # ban_group_member: "Up to 20 account IDs"
PAGE_UNBAN_MEMBER = "https://trtc.io/document/50297"  # unban_group_member: "Up to 20 account IDs"

# PAGE_BEFORE_SEND's reply example: the backend adds a custom element to the text.
TWO_ELEMENTS = [{"MsgType": "TIMTextElem", "MsgContent": {"Text": "red packet"}},
                {"MsgType": "TIMCustomElem",
                 "MsgContent": {"Data": "message", "Desc": "notification", "Ext": "url"}}]


class ImVendorTest(RoomServerTest):
    # The IM calls as im_rest_test makes them (not its tests).
    say, raw, im, im_ok, im_fail = (it.ImRestTest.say, it.ImRestTest.raw, it.ImRestTest.im,
                                    it.ImRestTest.im_ok, it.ImRestTest.im_fail)

    def setUp(self):
        super().setUp()
        self.hook = wt.Receiver()
        plain = self.hook.answer

        def answer(command, body):
            # PAGE_BEFORE_SEND's rewrite: a reply MsgBody of two elements.
            if (command == "Group.CallbackBeforeSendMsg" and
                    body["MsgBody"][0]["MsgContent"].get("Text") == "reply:rewrite2"):
                return 200, {"ActionStatus": "OK", "ErrorCode": 0, "ErrorInfo": "",
                             "MsgBody": TWO_ELEMENTS}
            return plain(command, body)
        self.hook.answer = answer

    def tearDown(self):
        self.hook.close()

    def server_sets(self):
        return {"webhook.url": "http://127.0.0.1:%d/im/callback" % self.hook.port,
                "webhook.secret": wt.SECRET, "webhook.timeout_ms": 1000}

    def calls(self, command, n=1, timeout=3):
        """The first n callbacks of `command`, waiting for them."""
        return h.wait_until(lambda: len(self.hook.of(command)) >= n and self.hook.of(command),
                            timeout, 0.05, "%d %s" % (n, command))

    def android(self, user, room):
        c = rc.WsClient(self.srv.http_port, name=user).connect()
        self.clients.append(c)
        rc.ok(c.login(user, rt.sig(user), platform="Android"), "login " + user)
        rc.ok(c.request("join", room=room), "join")
        return c

    # ------------------------------------------------------------ callbacks

    def test_01_callbacks_carry_the_clients_platform_and_address(self):
        # PAGE_BEFORE_SEND / PAGE_AFTER_SEND / PAGE_MEMBER_STATE: the URL is
        # {url}?SdkAppid=..&CallbackCommand=..&contenttype=json&ClientIP=$ClientIP
        # &OptPlatform=$OptPlatform, "ClientIP: the client IP, e.g. 127.0.0.1",
        # "OptPlatform: the client platform" (PAGE_CALLBACK_OVERVIEW: RESTAPI,
        # Web, Android, iOS, Windows, Mac, ... — RESTAPI for REST API requests).
        with self.serve():
            self.api.create_room("hooked")
            a = self.android("alice", "hooked")
            rc.ok(self.say(a, "hello", "hooked"), "send")
            for command in ("Group.CallbackBeforeSendMsg", "Group.CallbackAfterSendMsg",
                            "Group.CallbackOnMemberStateChange", "State.StateChange"):
                q = self.calls(command)[0]["query"]
                self.assertEqual((q.get("OptPlatform"), q.get("ClientIP")),
                                 ("Android", "127.0.0.1"), (command, q))
            # A REST send: RESTAPI.
            self.im_ok("send_group_msg", {"GroupId": "hooked", "Random": 1,
                                          "MsgBody": it.text_body("from rest")})
            q = self.calls("Group.CallbackAfterSendMsg", 2)[1]["query"]
            self.assertEqual(q.get("OptPlatform"), "RESTAPI", q)

    def test_02_rest_send_goes_through_before_send_and_its_controls(self):
        # PAGE_BEFORE_SEND: "Callback trigger scenarios: ... The app admin sends a
        # group message via a RESTful API call." ErrorCode 1 refuses the message.
        # PAGE_SEND_GROUP_MSG: "ForbidCallbackControl": ["ForbidBeforeSendMsgCallback",
        # "ForbidAfterSendMsgCallback"] skips the callbacks for this message.
        with self.serve():
            self.api.create_room("hooked")
            a = self.member("alice", "hooked")
            k = a.mark()
            refused = self.im("send_group_msg", {"GroupId": "hooked", "Random": 2,
                                                 "From_Account": "leckie",
                                                 "MsgBody": it.text_body("reply:1")})
            self.assertEqual((refused["ActionStatus"], refused["ErrorCode"]), ("FAIL", 10016),
                             refused)
            before = self.calls("Group.CallbackBeforeSendMsg")[0]["body"]
            self.assertEqual((before["From_Account"], before["Operator_Account"],
                              before["Random"]), ("leckie", "administrator", 2), before)
            self.assertEqual(before["MsgBody"], it.text_body("reply:1"), before)
            time.sleep(0.3)
            self.assertEqual([e for e in a.messages("hooked") if e["seq"] > k], [])
            self.im_ok("send_group_msg", {"GroupId": "hooked", "Random": 3,
                                          "ForbidCallbackControl": [
                                              "ForbidBeforeSendMsgCallback",
                                              "ForbidAfterSendMsgCallback"],
                                          "MsgBody": it.text_body("reply:1")})
            a.wait_for(lambda e: it.is_msg(e, "hooked") and e["body"] == {"text": "reply:1"},
                       2, "the unchecked message")
            self.im_ok("send_group_msg", {"GroupId": "hooked", "Random": 4,
                                          "SendMsgControl": ["ForbidAfterSendMsgCallback"],
                                          "MsgBody": it.text_body("checked only")})
            self.calls("Group.CallbackBeforeSendMsg", 2)
            time.sleep(0.5)
            self.assertEqual(len(self.hook.of("Group.CallbackBeforeSendMsg")), 2)
            self.assertEqual(self.hook.of("Group.CallbackAfterSendMsg"), [])

    def test_03_after_send_for_rest_carries_random_msgseq_and_operator(self):
        # PAGE_AFTER_SEND: "Operator_Account: the UserID of the request initiator,
        # based on which the system can identify whether the request is initiated
        # by the admin"; "Random: a 32-bit random number in the message sending
        # request"; "MsgSeq: the sequence number of the message".
        # PAGE_SEND_GROUP_MSG: the reply carries "MsgTime" and "MsgSeq".
        with self.serve(**{"room.admins": '["ops"]'}):
            self.api.create_room("hooked")
            replies = []
            for random, text in ((111, "one"), (222, "two"), (333, "three")):
                replies.append(self.im("send_group_msg", {
                    "GroupId": "hooked", "Random": random, "From_Account": "leckie",
                    "MsgBody": it.text_body(text)}, q=it.query(identifier="ops")))
            after = [c["body"] for c in self.calls("Group.CallbackAfterSendMsg", 3)]
            after.sort(key=lambda b: b["MsgSeq"])
            for reply, body, random in zip(replies, after, (111, 222, 333)):
                self.assertEqual(reply["ActionStatus"], "OK", reply)
                self.assertEqual((body["Random"], body["MsgSeq"], body["MsgTime"]),
                                 (random, reply["MsgSeq"], reply["MsgTime"]), (body, reply))
                self.assertEqual((body["From_Account"], body["Operator_Account"]),
                                 ("leckie", "ops"), body)
            # A member's message: the same Random in its before- and after-send.
            a = self.member("alice", "hooked")
            rc.ok(self.say(a, "mine", "hooked"), "send")
            b = self.calls("Group.CallbackBeforeSendMsg", 4)[3]["body"]
            f = self.calls("Group.CallbackAfterSendMsg", 4)[3]["body"]
            self.assertEqual((b["Random"], b["Operator_Account"]), (f["Random"], "alice"), (b, f))


    # ------------------------------------------------------------ groups

    def test_04_create_and_destroy_an_avchatroom(self):
        # PAGE_CREATE_GROUP: {"Owner_Account": "leckie", "Type": "AVChatRoom",
        # "GroupId": <custom>, "Name": "TestGroup" (required), "Introduction",
        # "Notification", "FaceUrl", "MaxMemberCount"}; reply adds "GroupId";
        # an AVChatRoom with a MemberList: 10007. PAGE_DESTROY_GROUP: {"GroupId"}.
        with self.serve():
            r = self.im_ok("create_group", {
                "Owner_Account": "leckie", "Type": "AVChatRoom", "GroupId": "MyFirstGroup",
                "Name": "TestGroup", "Introduction": "This is group Introduction",
                "Notification": "This is group Notification",
                "FaceUrl": "http://this.is.face.url", "MaxMemberCount": 500})
            self.assertEqual(r.get("GroupId"), "MyFirstGroup", r)
            info = self.im_ok("get_group_info", {"GroupIdList": ["MyFirstGroup"]})["GroupInfo"][0]
            self.assertEqual((info["Type"], info["Name"], info["Owner_Account"],
                              info["Introduction"], info["Notification"], info["FaceUrl"],
                              info["MaxMemberNum"]),
                             ("AVChatRoom", "TestGroup", "leckie", "This is group Introduction",
                              "This is group Notification", "http://this.is.face.url", 500), info)
            a = self.member("alice", "MyFirstGroup")
            self.im_fail("create_group", {"Type": "AVChatRoom", "GroupId": "MyFirstGroup",
                                          "Name": "again"}, 10021)
            self.im_fail("create_group", {"Type": "AVChatRoom", "Name": "x",
                                          "MemberList": [{"Member_Account": "bob"}]}, 10007)
            self.im_fail("create_group", {"Type": "Public", "Name": "x"}, 10004)
            made = self.im_ok("create_group", {"Type": "AVChatRoom", "Name": "no id"})["GroupId"]
            self.assertTrue(made, made)
            self.assertEqual(self.im_ok("get_online_member_num", {"GroupId": made})
                             ["OnlineMemberNum"], 0)
            self.im_ok("destroy_group", {"GroupId": "MyFirstGroup"})
            a.wait_for(lambda e: e.get("event") == "dismissed", 2, "the room's end")
            self.im_fail("get_online_member_num", {"GroupId": "MyFirstGroup"}, 10010)
            self.im_fail("destroy_group", {"GroupId": "MyFirstGroup"}, 10010)

    def test_05_modify_group_base_info_changes_what_it_names(self):
        # PAGE_MODIFY_GROUP: {"GroupId", "Name", "Introduction", "Notification",
        # "FaceUrl", "MaxMemberNum"}; get_group_info shows the new values.
        with self.serve():
            self.api.create_room("live/a")
            self.im_ok("modify_group_base_info", {
                "GroupId": "live/a", "Name": "NewName", "Introduction": "intro",
                "Notification": "notice", "FaceUrl": "http://this.is.new.face.url",
                "MaxMemberNum": 1})
            info = self.im_ok("get_group_info", {"GroupIdList": ["live/a"]})["GroupInfo"][0]
            self.assertEqual((info["Name"], info["Introduction"], info["Notification"],
                              info["FaceUrl"], info["MaxMemberNum"]),
                             ("NewName", "intro", "notice", "http://this.is.new.face.url", 1),
                             info)
            self.member("alice", "live/a")
            c = rc.WsClient(self.srv.http_port, name="bob").connect()
            self.clients.append(c)
            rc.ok(c.login("bob", rt.sig("bob")), "login")
            self.assertEqual(c.request("join", room="live/a").get("code"), 10014)
            self.im_fail("modify_group_base_info", {"GroupId": "live/a", "Name": "n" * 31},
                         10004)  # the IM's 30-byte group name

    def test_06_muted_account_list_and_per_request_limits(self):
        # PAGE_MUTED_ACCOUNT: get_group_muted_account {"GroupId"} answers
        # "ShuttedUinList": [{"Member_Account", "ShuttedUntil"}] (the old name
        # get_group_shutted_uin too). PAGE_BAN_MEMBER: ban_group_member takes
        # "Members_Account" of at most 20 accounts, PAGE_UNBAN_MEMBER: unban_group_member
        # too; more is 10004.
        with self.serve():
            self.api.create_room("live/a")
            self.im_ok("forbid_send_msg", {"GroupId": "live/a", "Members_Account": ["bob"],
                                           "ShutUpTime": 600})
            for command in ("get_group_muted_account", "get_group_shutted_uin"):
                r = self.im_ok(command, {"GroupId": "live/a"})
                self.assertEqual([m["Member_Account"] for m in r["ShuttedUinList"]], ["bob"], r)
                self.assertGreater(r["ShuttedUinList"][0]["ShuttedUntil"], time.time() + 500, r)
            many = ["u%d" % i for i in range(21)]
            self.im_fail("ban_group_member", {"GroupId": "live/a", "Members_Account": many,
                                              "Duration": 60}, 10004)
            self.im_fail("unban_group_member", {"GroupId": "live/a", "Members_Account": many},
                         10004)
            self.im_ok("ban_group_member", {"GroupId": "live/a", "Members_Account": many[:20],
                                            "Duration": 60})
            self.im_fail("forbid_send_msg", {"GroupId": "live/a", "ShutUpTime": 60,
                                             "Members_Account": ["u%d" % i for i in range(501)]},
                         10004)


    # ------------------------------------------------------------ MsgBody lists

    def test_07_a_msgbody_list_is_kept_end_to_end(self):
        # PAGE_SEND_GROUP_MSG: "MsgBody: message body, which consists of an
        # element array"; PAGE_BEFORE_SEND / PAGE_AFTER_SEND carry the MsgBody;
        # a before-send reply's MsgBody replaces the message's.
        with self.serve(**{"room.history": 20}):
            self.api.create_room("hooked")
            a = self.member("alice", "hooked")
            face = {"MsgType": "TIMFaceElem", "MsgContent": {"Index": 6, "Data": "abc"}}
            sent = TWO_ELEMENTS + [face]
            r = self.im_ok("send_group_msg", {"GroupId": "hooked", "Random": 7,
                                              "MsgBody": sent})
            e = a.wait_for(lambda e: it.is_msg(e, "hooked"), 2, "the REST message")
            self.assertEqual((e["msgType"], e["body"]), ("text", {"text": "red packet"}), e)
            self.assertEqual([x["type"] for x in e.get("elements", [])],
                             ["text", "custom", "custom"], e)
            self.assertEqual(e["elements"][1]["body"],
                             {"data": "message", "desc": "notification", "ext": "url"}, e)
            before = self.calls("Group.CallbackBeforeSendMsg")[0]["body"]
            after = self.calls("Group.CallbackAfterSendMsg")[0]["body"]
            self.assertEqual(before["MsgBody"], sent, before)
            self.assertEqual((after["MsgBody"], after["MsgSeq"]), (sent, r["MsgSeq"]), after)
            # A member's text rewritten by the backend into two elements keeps both.
            rc.ok(self.say(a, "reply:rewrite2", "hooked"), "send")
            e = a.wait_for(lambda e: it.is_msg(e, "hooked") and e["body"].get("text") ==
                           "red packet" and e["msgId"] != r["MsgId"], 2, "the rewrite")
            self.assertEqual([x["type"] for x in e.get("elements", [])], ["text", "custom"], e)
            after = self.calls("Group.CallbackAfterSendMsg", 2)[1]["body"]
            self.assertEqual(after["MsgBody"], TWO_ELEMENTS, after)
            # History: a later joiner sees both messages whole.
            b = self.member("bob", "hooked")
            history = b.joined["history"]
            self.assertEqual([len(m.get("elements", [])) for m in history], [3, 2], history)


if __name__ == "__main__":
    h.main()
