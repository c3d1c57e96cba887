# Gifts and likes (issue 5, R7, R8) against the real server: the backend's billed
# gifts through the API (an explicit count is one message; 99 streak clicks become
# 5 messages summing 99; totals and top givers), members cannot send gifts
# themselves, likes merged into one Low message per window while the room's like
# counter stays exact even when a rate limit drops messages.
# Owner: integration tests. Real time: ~6 s. Reuses room_client.py and room_test's keys.
import time

import harness as h
import room_client as rc
import room_test as rt  # the module only: its RoomTest must not run from here
from room_fixture import RoomServerTest


class RoomGiftsTest(RoomServerTest):
    def gifts_seen(self, c, gift):
        return [e for e in c.messages("live") if e.get("msgType") == "gift"
                and e["body"].get("gift") == gift and not e["body"].get("preview")]

    def test_01_gift_streaks_and_totals(self):
        with self.serve():
            self.api.create_room("live")
            viewer = self.member("viewer", "live")
            alice = self.member("alice", "live")  # the giver, watching too
            api = self.api.session()
            for _ in range(99):  # 99 clicks in a row, each billed by the backend
                st, js, _ = api.call("POST", "/api/v1/rooms/live/gifts",
                                     {"from": "alice", "nick": "Alice", "gift": "rose",
                                      "streak": True})
                self.assertEqual(st, 200, js)
            st, js, _ = api.call("POST", "/api/v1/rooms/live/gifts",
                                 {"from": "bob", "gift": "car", "count": 99})
            self.assertEqual(st, 200, js)
            self.assertFalse(js.get("merged"), js)
            self.assertTrue(js.get("msgId"), js)
            api.close()
            h.wait_until(lambda: sum(e["body"]["count"] for e in self.gifts_seen(viewer, "rose"))
                         >= 99, 4, what="99 roses")
            time.sleep(0.3)
            roses = self.gifts_seen(viewer, "rose")
            self.assertEqual([e["body"]["count"] for e in roses], [20, 20, 20, 20, 19], roses)
            for e in roses:
                self.assertEqual(e.get("priority"), "High", e)
                self.assertEqual((e["from"]["id"], e["from"]["nick"]), ("alice", "Alice"), e)
            # The giver saw each of its 99 clicks at once, beside the merged ones.
            previews = [e for e in alice.messages("live") if e["body"].get("preview")]
            self.assertEqual(len(previews), 99, "the giver's own clicks")
            self.assertFalse([e for e in viewer.messages("live") if e["body"].get("preview")])
            cars = self.gifts_seen(viewer, "car")
            self.assertEqual([e["body"]["count"] for e in cars], [99], "an explicit count is one message")
            totals = self.api.ok("GET", "/api/v1/rooms/live/gifts")
            self.assertEqual(totals["total"], 198, totals)
            self.assertEqual(totals["byGift"], {"car": 99, "rose": 99}, totals)
            self.assertEqual([g["id"] for g in totals["topGivers"]], ["alice", "bob"], totals)
            self.assertEqual(self.api.room("live")["gifts"], 198)
            # Members cannot send gifts: they would be unbilled.
            r = viewer.request("send", room="live", type="gift", body={"gift": "rose"})
            self.assertEqual(r.get("code"), 10007, r)
            for bad in ({"gift": "rose"}, {"from": "a"}, {"from": "a", "gift": "r", "count": 0},
                        {"from": "a", "gift": "r", "streak": "yes"}, {"from": "a" * 33, "gift": "r"}):
                st, js = self.api.call("POST", "/api/v1/rooms/live/gifts", bad)
                self.assertEqual((st, js.get("code")), (400, 10004), (bad, js))

    def test_02_likes_merged_counter_exact_under_the_rate_limit(self):
        with self.serve():
            self.api.create_room("live", rateLimit=5)
            viewer = self.member("viewer", "live")
            fans = [self.member("fan%d" % i, "live") for i in range(8)]
            chatter = self.member("chatter", "live")
            ids = []
            for f in fans:  # 8 x 30 likes, inside each connection's burst of 40
                ids.append((f, [f.send_cmd("send", room="live", type="like", body={"count": 1})
                                for _ in range(30)]))
            for i in range(30):  # and text over the room's 5/s limit at the same time
                chatter.send_cmd("send", room="live", type="text", body={"text": "t%d" % i})
            for f, rids in ids:
                for rid in rids:
                    r = f.reply_to(rid, 5)
                    self.assertEqual(r.get("code"), 0, r)
                    self.assertTrue(r.get("merged"), r)
            self.assertEqual(self.api.room("live")["likes"], 240, "the like counter is exact")
            st, js = self.api.call("POST", "/api/v1/rooms/live/messages",
                                   {"type": "like", "from": "fan0", "body": {"count": 10}})
            self.assertEqual((st, js.get("likes")), (200, 250), js)
            time.sleep(2.5)
            likes = [e for e in viewer.messages("live") if e.get("msgType") == "like"]
            self.assertLessEqual(len(likes), 3, "likes are merged per 1 s window: %r" % likes)
            for e in likes:
                self.assertEqual(e.get("priority"), "Low", e)
                self.assertGreater(e["body"]["count"], 1, e)
            counters = self.api.ok("GET", "/api/v1/rooms/live/counters")
            self.assertGreater(counters["rateDropped"], 0, counters)  # the limit did bite
            self.assertEqual(self.api.room("live")["likes"], 250)

    def test_03_danmaku_lottery(self):
        with self.serve():
            self.api.create_room("live")
            viewer = self.member("viewer", "live")
            fans = {u: self.member(u, "live") for u in ("f1", "f2", "f3", "f4", "quiet")}
            res = self.api.ok("POST", "/api/v1/rooms/live/lottery",
                              {"keyword": "lucky", "seconds": 1, "winners": 2})
            self.assertEqual(res["state"], "open", res)
            e = viewer.wait_for(lambda e: e.get("event") == "lottery", 2, "lottery opened")
            self.assertEqual((e.get("keyword"), e.get("state")), ("lucky", "open"), e)
            st, js = self.api.call("POST", "/api/v1/rooms/live/lottery",
                                   {"keyword": "x", "seconds": 1, "winners": 1})
            self.assertEqual((st, js.get("code")), (400, 10004), js)  # one at a time
            for u in ("f1", "f2", "f3", "f4"):
                rc.ok(fans[u].request("send", room="live", type="text",
                                      body={"text": "I feel lucky"}), u)
            rc.ok(fans["f1"].request("send", room="live", type="text", body={"text": "lucky!"}),
                  "f1 again")  # enters once
            rc.ok(fans["quiet"].request("send", room="live", type="text", body={"text": "hi"}),
                  "no keyword")
            self.api.ok("POST", "/api/v1/rooms/live/messages",
                        {"type": "text", "from": "outsider", "body": {"text": "lucky"}})
            ann = viewer.wait_for(lambda e: rt.is_msg(e) and e.get("msgType") == "system"
                                  and "lottery" in e.get("body", {}), 4, "lottery announcement")
            self.assertEqual(ann.get("priority"), "High", ann)
            time.sleep(1.1)  # past the window: too late
            rc.ok(fans["quiet"].request("send", room="live", type="text", body={"text": "lucky"}),
                  "late keyword")
            result = self.api.ok("GET", "/api/v1/rooms/live/lottery")
            self.assertEqual(result["state"], "drawn", result)
            self.assertEqual(sorted(result["entrants"]), ["f1", "f2", "f3", "f4"], result)
            winners = [w["id"] for w in result["winners"]]
            self.assertEqual(len(set(winners)), 2, result)
            self.assertTrue(set(winners) <= {"f1", "f2", "f3", "f4"}, result)
            self.assertEqual([w["id"] for w in ann["body"]["lottery"]], winners, ann)
            for bad in ({"keyword": "", "seconds": 1, "winners": 1},
                        {"keyword": "k", "seconds": 0, "winners": 1},
                        {"keyword": "k", "seconds": 1, "winners": 0},
                        {"keyword": "k", "seconds": "1", "winners": 1}):
                st, js = self.api.call("POST", "/api/v1/rooms/live/lottery", bad)
                self.assertEqual((st, js.get("code")), (400, 10004), (bad, js))

    def test_04_levels_and_popularity(self):
        sets = {"room.level_thresholds": "[2, 4, 100]", "room.level_weight_message": 1,
                "room.level_weight_online_minute": 0, "room.level_weight_membership": 100}
        with self.serve(**sets):
            self.api.create_room("live")
            self.api.create_room("quiet")
            alice, bob = self.member("alice", "live"), self.member("bob", "live")
            for i in range(4):
                m = rc.ok(alice.request("send", room="live", type="text",
                                        body={"text": "m%d" % i}), "alice %d" % i)
                bob.wait_for(lambda e: rt.is_msg(e) and e["msgId"] == m["msgId"], 2, "msg %d" % i)
            levels = [e["from"]["level"] for e in bob.messages("live")]
            self.assertEqual(levels, [0, 1, 1, 2], "levels on alice's messages")
            st = self.api.ok("GET", "/api/v1/rooms/live/users/alice")
            self.assertEqual((st["messages"], st["score"], st["level"]), (4, 4, 2), st)
            self.api.ok("POST", "/api/v1/rooms/live/membership",
                        {"members": ["alice"], "member": True})
            m = rc.ok(alice.request("send", room="live", type="text", body={"text": "vip"}), "vip")
            e = bob.wait_for(lambda e: rt.is_msg(e) and e["msgId"] == m["msgId"], 2, "vip msg")
            self.assertEqual(e["from"]["level"], 3, e)
            st, js = self.api.call("GET", "/api/v1/rooms/live/users/alice", auth=False)
            self.assertEqual(st, 401, js)
            ranked = [r["id"] for r in self.api.ok("GET", "/api/v1/rooms",
                                                   query="sort=popularity")["rooms"]]
            self.assertEqual(ranked, ["live", "quiet"], ranked)
            pops = {r["id"]: r["popularity"] for r in self.api.rooms()}
            self.assertEqual(pops["live"], 10 * 2 + 5, pops)  # 2 online x 10 + 5 messages
            self.assertEqual(pops["quiet"], 0, pops)
            st, js = self.api.call("GET", "/api/v1/rooms?sort=nonsense", auth=False)
            self.assertEqual(st, 400, js)


if __name__ == "__main__":
    h.main()
