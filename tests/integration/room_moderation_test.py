# Room moderation (issue 5, R12, R13) against the real server: mute one member for
# N seconds (told at once, 10017 on send, survives rejoin, expires on time), mute
# the whole room (admins and the owner still speak), kick (removed at once with a
# reason, banned, rejoin refused before join) and unban, all through the API with
# an admin UserSig; bad moderation calls get 400/403 JSON.
# Owner: integration tests. Real time: ~8 s. Reuses room_client.py and room_test's keys.
import os
import signal
import tempfile
import time

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here
from room_fixture import RoomServerTest


class RoomModerationTest(RoomServerTest):
    def member(self, user, room):
        return super().member(user, room)

    def say(self, c, text, room="mod"):
        return c.request("send", room=room, type="text", body={"text": text})

    def test_01_mute_one_member_then_the_room(self):
        with self.serve():
            self.api.create_room("mod", owner="olivia")
            alice, bob = self.member("alice", "mod"), self.member("bob", "mod")
            owner = self.member("olivia", "mod")
            k = bob.mark()
            t0 = time.time()
            res = self.api.ok("POST", "/api/v1/rooms/mod/mute", {"members": ["alice"], "seconds": 2})
            self.assertEqual([m["id"] for m in res["members"]], ["alice"], res)
            e = bob.wait_for(lambda e: e.get("event") == "mute", 2, "mute event", k)
            self.assertEqual((e.get("user"), e.get("seconds"), e.get("all")), ("alice", 2, False), e)
            alice.wait_for(lambda e: e.get("event") == "mute", 2, "mute event at alice")
            r = self.say(alice, "am I muted?")
            self.assertEqual(r.get("code"), 10017, r)
            self.assertIn("muted", r.get("info", ""), r)
            rc.ok(self.say(bob, "bob speaks"), "bob is not muted")
            # The mute is kept by user id: leaving and joining again keeps it.
            rc.ok(alice.request("leave", room="mod"), "alice leaves")
            j = rc.ok(alice.request("join", room="mod"), "alice rejoins")
            self.assertTrue(j.get("muted"), j)
            self.assertEqual(self.say(alice, "still?").get("code"), 10017)
            listed = self.api.ok("GET", "/api/v1/rooms/mod/mutes")
            self.assertEqual([m["id"] for m in listed["members"]], ["alice"], listed)
            self.assertIsInstance(listed["members"][0]["until"], int, listed)
            # Expires within +-1 s of the 2 s asked for.
            while self.say(alice, "now?").get("code") == 10017:
                self.assertLess(time.time() - t0, 3.0, "the 2 s mute did not expire by 3 s")
                time.sleep(0.1)
            self.assertGreater(time.time() - t0, 1.0, "the 2 s mute ended before 1 s")
            self.assertEqual(self.api.ok("GET", "/api/v1/rooms/mod/mutes")["members"], [])
            # 0 lifts a mute at once.
            self.api.ok("POST", "/api/v1/rooms/mod/mute", {"members": ["bob"], "seconds": 60})
            self.assertEqual(self.say(bob, "x").get("code"), 10017)
            self.api.ok("POST", "/api/v1/rooms/mod/mute", {"members": ["bob"], "seconds": 0})
            rc.ok(self.say(bob, "free again"), "unmuted bob")

            # The whole room: members are told; only the owner and admins speak.
            k = alice.mark()
            self.api.ok("POST", "/api/v1/rooms/mod/mute", {"all": True})
            e = alice.wait_for(lambda e: e.get("event") == "mute" and e.get("all") is True, 2,
                               "room mute event", k)
            self.assertIsNone(e.get("user"), e)
            self.assertTrue(self.api.room("mod").get("mutedAll"))
            self.assertEqual(self.say(alice, "x").get("code"), 10017)
            rc.ok(self.say(owner, "the owner speaks"), "owner in a muted room")
            self.api.ok("POST", "/api/v1/rooms/mod/messages",
                        {"type": "system", "body": {"text": "admins speak"}})
            alice.wait_for(lambda e: rt.is_msg(e) and e["body"].get("text") == "admins speak", 2,
                           "system message in a muted room")
            j = rc.ok(self.member("carol", "mod").joined, "carol joins the muted room")
            self.assertTrue(j.get("mutedAll"), j)
            self.api.ok("POST", "/api/v1/rooms/mod/mute", {"all": False})
            rc.ok(self.say(alice, "room open again"), "room unmuted")
            counters = self.api.ok("GET", "/api/v1/rooms/mod/counters")
            self.assertGreaterEqual(counters["rejected"], 4, counters)

    def test_02_kick_bans_until_unbanned(self):
        with self.serve():
            self.api.create_room("mod")
            alice, bob = self.member("alice", "mod"), self.member("bob", "mod")
            alice2 = self.member("alice", "mod")  # alice on a second connection
            k = bob.mark()
            res = self.api.ok("POST", "/api/v1/rooms/mod/kick",
                              {"members": ["alice"], "reason": "spam"})
            self.assertEqual(res.get("removed"), 2, res)
            for c in (alice, alice2):
                e = c.wait_for(lambda e: e.get("event") == "kicked", 2, "kicked at " + c.name)
                self.assertEqual((e.get("user"), e.get("reason")), ("alice", "spam"), e)
                self.assertIsNone(e.get("until"), e)  # no duration: for good
            bob.wait_for(lambda e: e.get("event") == "kicked" and e.get("user") == "alice", 2,
                         "kicked event at bob", k)
            self.assertEqual(self.api.room("mod")["online"], 1)
            # Out of the fan-out at once, and refused before joining again.
            m = rc.ok(self.say(bob, "after the kick"), "bob")
            bob.wait_for(lambda e: rt.is_msg(e) and e.get("msgId") == m["msgId"], 2, "own msg")
            time.sleep(0.2)
            self.assertFalse([e for e in alice.messages() if e.get("msgId") == m["msgId"]])
            self.assertEqual(self.say(alice, "x").get("code"), 10007)  # no longer in the room
            r = alice.request("join", room="mod")
            self.assertEqual(r.get("code"), 10007, r)
            self.assertIn("banned", r.get("info", ""), r)
            bans = self.api.ok("GET", "/api/v1/rooms/mod/bans")
            self.assertEqual([b["id"] for b in bans["members"]], ["alice"], bans)
            self.api.ok("POST", "/api/v1/rooms/mod/unban", {"members": ["alice"]})
            rc.ok(alice.request("join", room="mod"), "alice joins after the unban")
            # A timed ban ends by itself.
            self.api.ok("POST", "/api/v1/rooms/mod/kick", {"members": ["bob"], "seconds": 1})
            self.assertEqual(bob.request("join", room="mod").get("code"), 10007)
            h.wait_until(lambda: bob.request("join", room="mod").get("code") == 0, 3,
                         what="the 1 s ban to end")

    def test_03_bad_moderation_calls(self):
        with self.serve(**{"room.admins": '["mod1"]'}):
            self.api.create_room("mod")
            st, js = self.api.call("POST", "/api/v1/rooms/mod/kick", {"members": ["x"]}, auth=False)
            self.assertEqual(st, 401, js)
            user = self.api.auth_query("bob", rt.sig("bob"))
            st, js = self.api.call("POST", "/api/v1/rooms/mod/mute",
                                   {"members": ["x"], "seconds": 5}, auth=False, query=user)
            self.assertEqual((st, js.get("code")), (403, 10007), js)
            admin = self.api.auth_query("mod1", rt.sig("mod1"))
            st, js = self.api.call("POST", "/api/v1/rooms/mod/mute",
                                   {"members": ["x"], "seconds": 5}, auth=False, query=admin)
            self.assertEqual(st, 200, js)
            for path, body in (("mute", {"members": ["x"], "seconds": -1}),
                               ("mute", {"members": "x", "seconds": 5}),
                               ("mute", {"seconds": 5}),
                               ("mute", {"all": "yes"}),
                               ("kick", {}),
                               ("kick", {"members": ["x" * 33]}),
                               ("kick", {"members": ["x"], "reason": "r" * 257}),
                               ("kick", {"members": ["u%d" % i for i in range(501)]})):
                st, js = self.api.call("POST", "/api/v1/rooms/mod/" + path, body)
                self.assertEqual((st, js.get("code")), (400, 10004), (path, body, js))
                self.assertTrue(js.get("error"), js)
            st, js = self.api.call("POST", "/api/v1/rooms/nope/kick", {"members": ["x"]})
            self.assertEqual((st, js.get("code")), (404, 10010), js)

    def test_04_word_filter_masks_and_reloads_on_sighup(self):
        words = os.path.join(tempfile.mkdtemp(prefix="roomcast-words-"), "words.txt")
        with open(words, "w") as f:
            f.write("# the list\nspam\n")
        with self.serve(**{"room.word_filter_file": words}):
            self.api.create_room("mod")
            alice, bob = self.member("alice", "mod"), self.member("bob", "mod")
            rc.ok(self.say(alice, "buy SPAM now"), "masked message")
            e = bob.wait_for(lambda e: rt.is_msg(e), 2, "masked message at bob")
            self.assertEqual(e["body"]["text"], "buy **** now", e)
            with open(words, "w") as f:
                f.write("spam\nscam\n")
            self.srv.proc.send_signal(signal.SIGHUP)
            h.wait_until(lambda: "word filter reloaded: 2 words" in open(self.srv.log_path).read(),
                         3, what="the reload log line")
            k = bob.mark()
            rc.ok(self.say(alice, "a scam"), "masked after reload")
            e = bob.wait_for(lambda e: rt.is_msg(e), 2, "second message", k)
            self.assertEqual(e["body"]["text"], "a ****", e)
            # A broken list keeps the old one (and says why).
            with open(words, "w") as f:
                f.write("x" * 65 + "\n")
            self.srv.proc.send_signal(signal.SIGHUP)
            h.wait_until(lambda: "not reloaded" in open(self.srv.log_path).read(), 3,
                         what="the refused reload")
            k = bob.mark()
            rc.ok(self.say(alice, "still a scam"), "old list kept")
            e = bob.wait_for(lambda e: rt.is_msg(e), 2, "third message", k)
            self.assertEqual(e["body"]["text"], "still a ****", e)
            self.assertEqual(self.api.ok("GET", "/api/v1/rooms/mod/counters")["filtered"], 3)

    def test_05_word_filter_rejects(self):
        words = os.path.join(tempfile.mkdtemp(prefix="roomcast-words-"), "words.txt")
        with open(words, "w") as f:
            f.write("spam\n")
        with self.serve(**{"room.word_filter_file": words, "room.word_filter_action": "reject"}):
            self.api.create_room("mod")
            alice, bob = self.member("alice", "mod"), self.member("bob", "mod")
            r = self.say(alice, "Spam!")
            self.assertEqual(r.get("code"), 10016, r)
            m = rc.ok(self.say(alice, "fine"), "clean message")
            e = bob.wait_for(lambda e: rt.is_msg(e), 2, "the clean message")
            self.assertEqual(e.get("msgId"), m["msgId"], "the filtered message was delivered")
            c = self.api.ok("GET", "/api/v1/rooms/mod/counters")
            self.assertEqual((c["filtered"], c["rejected"]), (1, 1), c)

    def test_06_revoke_hides_and_leaves_history(self):
        with self.serve(**{"room.history": 10}):
            self.api.create_room("mod")
            alice, bob = self.member("alice", "mod"), self.member("bob", "mod")
            img = rc.ok(alice.request("send", room="mod", type="image",
                                      body={"url": "https://img/x.png"}), "image")
            txt = rc.ok(self.say(alice, "keep me"), "text")
            bob.wait_for(lambda e: rt.is_msg(e) and e["msgId"] == txt["msgId"], 2, "both")
            res = self.api.ok("POST", "/api/v1/rooms/mod/messages/%s/revoke" % img["msgId"])
            self.assertTrue(res.get("inHistory"), res)
            e = bob.wait_for(lambda e: e.get("event") == "revoke", 2, "revoke event")
            self.assertEqual(e.get("msgId"), img["msgId"], e)
            carol = self.member("carol", "mod")
            self.assertEqual([m["msgId"] for m in carol.joined["history"]], [txt["msgId"]])
            st, js = self.api.call("POST", "/api/v1/rooms/mod/messages/x/revoke", auth=False)
            self.assertEqual(st, 401, js)
            st, js = self.api.call("POST", "/api/v1/rooms/nope/messages/x/revoke")
            self.assertEqual(st, 404, js)


if __name__ == "__main__":
    h.main()
