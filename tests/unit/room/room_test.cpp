#include "room/room.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <optional>
#include <set>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"
#include "room/room_registry.hpp"
#include "tests/unit/run_loop.hpp"

using namespace core;
using namespace room;
using nlohmann::json;

namespace room {
std::ostream& operator<<(std::ostream& os, MemberRole r) {
  return os << roleName(r);
}
std::ostream& operator<<(std::ostream& os, RoomStatus s) {
  return os << static_cast<int>(s);
}
std::ostream& operator<<(std::ostream& os, Priority p) {
  return os << priorityName(p);
}
}  // namespace room

namespace {

struct FakeMember : Member {
  Sender who;
  std::vector<json> events;
  std::vector<std::string> removed;
  std::function<void(const json&)> onEvent;
  explicit FakeMember(std::string id, MemberRole role = MemberRole::Member) {
    who.id = std::move(id);
    who.nick = "nick-" + who.id;
    who.avatar = "https://a/" + who.id + ".png";
    who.role = role;
  }
  const Sender& identity() const override { return who; }
  void deliver(const RoomEventPtr& event) override {
    events.push_back(json::parse(event->json.view()));
    if (onEvent) onEvent(events.back());
  }
  void removedFrom(const std::string& roomId, const RoomEventPtr& event) override {
    removed.push_back(roomId);
    events.push_back(json::parse(event->json.view()));
  }
  std::vector<json> of(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e["event"] == kind) out.push_back(e);
    return out;
  }
};

ChatMessage text(const Member& from, std::string s, Priority p = Priority::Normal) {
  return {"text", p, from.identity(), {{"text", std::move(s)}}};
}

int nextId = 0;
std::function<std::string()> ids() {
  return [] { return "m-" + std::to_string(++nextId); };
}

void runFor(EventLoop& loop, uint64_t ms) {
  testing_loop::runFor(loop, ms);
}

}  // namespace

BOOST_AUTO_TEST_CASE(join_reply_carries_status_info_and_history) {
  EventLoop loop;
  RoomOptions o;
  o.history = 2;
  Room room(loop, "live/demo", "host", o, ids());
  BOOST_TEST(room.updateInfo({{"announcement", "hello"},
                              {"introduction", "intro"},
                              {"attributes", {{"theme", "dark"}}}})
                 .ok());
  BOOST_TEST(room.setStatus(2, "test").ok());
  FakeMember a("a");
  room.join(a);
  for (int i = 0; i < 3; ++i) room.send(&a, text(a, "m" + std::to_string(i)));
  FakeMember b("b");
  json reply = room.join(b);
  BOOST_TEST(reply["status"] == 2);
  BOOST_TEST(reply["announcement"] == "hello");
  BOOST_TEST(reply["introduction"] == "intro");
  BOOST_TEST(reply["attributes"]["theme"] == "dark");
  BOOST_TEST(reply["online"] == 2);
  BOOST_REQUIRE(reply["history"].size() == 2u);  // the last N only
  BOOST_TEST(reply["history"][0]["body"]["text"] == "m1");
  BOOST_TEST(reply["history"][1]["body"]["text"] == "m2");
  BOOST_TEST(reply["history"][1]["from"]["nick"] == "nick-a");
  BOOST_TEST(reply["seq"].get<int64_t>() >= reply["history"][1]["seq"].get<int64_t>());
}

BOOST_AUTO_TEST_CASE(history_is_off_by_default) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a");
  room.join(a);
  room.send(&a, text(a, "x"));
  FakeMember b("b");
  BOOST_TEST(room.join(b)["history"].empty());
}

BOOST_AUTO_TEST_CASE(members_see_the_same_seq_order_and_sender_details) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a"), b("b"), c("c");
  room.join(a);
  room.join(b);
  room.join(c);
  for (int i = 0; i < 5; ++i) {
    room.send(&a, text(a, "a" + std::to_string(i)));
    room.send(&b, text(b, "b" + std::to_string(i)));
    room.send(&c, text(c, "c" + std::to_string(i)));
  }
  auto order = [](const FakeMember& m) {
    std::vector<std::pair<int64_t, std::string>> out;
    for (const auto& e : m.of("message")) out.emplace_back(e["seq"], e["msgId"]);
    return out;
  };
  BOOST_REQUIRE(order(a).size() == 15u);
  BOOST_TEST((order(a) == order(b)));
  BOOST_TEST((order(b) == order(c)));
  for (size_t i = 1; i < order(a).size(); ++i)
    BOOST_TEST(order(a)[i].first > order(a)[i - 1].first);
  json first = a.of("message")[0];
  BOOST_TEST(first["from"]["id"] == "a");
  BOOST_TEST(first["from"]["avatar"] == "https://a/a.png");
  BOOST_TEST(first["priority"] == "Normal");
  BOOST_TEST(first["room"] == "r");
  BOOST_TEST(first["time"].get<int64_t>() > 1600000000000LL);
}

BOOST_AUTO_TEST_CASE(over_the_limit_the_sender_still_sees_its_own_message) {
  EventLoop loop;
  RoomOptions o;
  o.rateLimit = 2;  // queue of 2
  o.history = 20;
  Room room(loop, "r", "", o, ids());
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  std::vector<std::string> sent;
  for (int i = 0; i < 10; ++i) sent.push_back(room.send(&a, text(a, std::to_string(i))).msgId);
  runFor(loop, 1300);  // the queue drains or times out
  // a saw all ten of its own messages; b only the delivered ones.
  BOOST_TEST(a.of("message").size() == 10u);
  const auto delivered = b.of("message");
  BOOST_TEST(delivered.size() >= 2u);
  BOOST_TEST(delivered.size() <= 5u);
  BOOST_TEST(room.counters().accepted == 10u);
  BOOST_TEST(room.counters().delivered == delivered.size());
  BOOST_TEST(room.counters().delivered + room.counters().rateDropped == 10u);
  // History holds only what was delivered.
  FakeMember c("c");
  json history = room.join(c)["history"];
  BOOST_TEST(history.size() == delivered.size());
  for (size_t i = 0; i < history.size(); ++i)
    BOOST_TEST(history[i]["msgId"] == delivered[i]["msgId"]);
}

BOOST_AUTO_TEST_CASE(status_and_info_changes_reach_everyone_and_limits_give_10004) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  BOOST_TEST(room.setStatus(3, "api").ok());
  BOOST_REQUIRE(a.of("status").size() == 1u);
  BOOST_TEST(b.of("status")[0]["status"] == 3);
  RoomError e = room.updateInfo({{"announcement", std::string(301, 'x')}});
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(e.message.find("300") != std::string::npos);
  // All or nothing: a bad attribute keeps the good announcement out too.
  e = room.updateInfo({{"announcement", "ok"}, {"attributes", {{"bad key", "v"}}}});
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(room.info().announcement().empty());
  BOOST_TEST(a.of("info").empty());
  BOOST_TEST(room.updateInfo({{"announcement", "ok"}}).ok());
  BOOST_TEST(b.of("info")[0]["announcement"] == "ok");
  BOOST_TEST(room.setStatus(9, "api").code == 10004);
}

BOOST_AUTO_TEST_CASE(recent_members_newest_first_with_role_filter) {
  EventLoop loop;
  RoomOptions o;
  o.recentMembers = 3;
  Room room(loop, "r", "host", o, ids());
  FakeMember host("host"), admin("boss", MemberRole::Admin), m1("m1"), m2("m2");
  room.join(host);
  room.join(admin);
  room.join(m1);
  room.join(m2);
  json all = room.members(std::nullopt, 100);
  BOOST_TEST(all["online"] == 4);
  BOOST_REQUIRE(all["members"].size() == 3u);  // the last 3 joiners
  BOOST_TEST(all["members"][0]["id"] == "m2");
  BOOST_TEST(all["members"][2]["id"] == "boss");
  BOOST_TEST(room.members(MemberRole::Admin, 10)["members"].size() == 1u);
  BOOST_TEST(room.members(MemberRole::Member, 1)["members"].size() == 1u);
  room.leave(m2);
  BOOST_TEST(room.members(std::nullopt, 100)["members"][0]["id"] == "m1");
  BOOST_TEST(room.roleOf(host.identity()) == MemberRole::Owner);
}

BOOST_AUTO_TEST_CASE(enter_and_leave_events_stop_in_big_rooms) {
  EventLoop loop;
  RoomOptions o;
  o.enterLeaveMaxMembers = 2;
  Room room(loop, "r", "", o, ids());
  FakeMember a("a"), b("b"), c("c");
  room.join(a);
  room.join(b);  // a sees b enter (1 member before)
  room.join(c);  // 2 members already: no event
  BOOST_TEST(a.of("enter").size() == 1u);
  BOOST_TEST(a.of("enter")[0]["user"]["id"] == "b");
  BOOST_TEST(b.of("enter").empty());  // a joiner gets its reply, not its own enter
  room.leave(c);                      // it left a room of 3: no event
  BOOST_TEST(a.of("leave").empty());
  room.leave(b);  // a room of 2
  BOOST_REQUIRE(a.of("leave").size() == 1u);
  BOOST_TEST(a.of("leave")[0]["user"]["id"] == "b");
}

BOOST_AUTO_TEST_CASE(a_member_leaving_while_delivered_to_does_not_break_fan_out) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  std::vector<std::unique_ptr<FakeMember>> members;
  for (int i = 0; i < 10; ++i) {
    members.push_back(std::make_unique<FakeMember>("u" + std::to_string(i)));
    room.join(*members.back());
  }
  // u3 and u7 drop themselves (a slow consumer does) on the first message.
  for (int i : {3, 7}) {
    FakeMember* m = members[i].get();
    m->onEvent = [&room, m](const json& e) {
      if (e["event"] == "message") room.leave(*m);
    };
  }
  room.send(members[0].get(), text(*members[0], "one"));
  room.send(members[0].get(), text(*members[0], "two"));
  BOOST_TEST(room.online() == 8u);
  BOOST_TEST(members[3]->of("message").size() == 1u);
  for (int i : {0, 1, 2, 4, 5, 6, 8, 9}) BOOST_TEST(members[i]->of("message").size() == 2u);
}

BOOST_AUTO_TEST_CASE(online_count_is_pushed_by_the_change_rule) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  std::vector<std::unique_ptr<FakeMember>> members;
  for (int i = 0; i < 20; ++i) {
    members.push_back(std::make_unique<FakeMember>("u" + std::to_string(i)));
    room.join(*members.back());
  }
  runFor(loop, 50);
  auto pushes = members[0]->of("online");
  BOOST_REQUIRE(!pushes.empty());
  BOOST_TEST(pushes.back()["count"] == 20);  // joined in one tick: one push of 20
  BOOST_TEST(pushes.size() == 1u);
  room.leave(*members[19]);  // -1 of 20: 5% -> noticeable, but within 1 s of the last
  runFor(loop, 200);
  BOOST_TEST(members[0]->of("online").size() == 1u);
  runFor(loop, 1000);
  BOOST_REQUIRE(members[0]->of("online").size() == 2u);
  BOOST_TEST(members[0]->of("online").back()["count"] == 19);
}

BOOST_AUTO_TEST_CASE(registry_follows_the_stream_and_dismisses) {
  EventLoop loop;
  RoomRegistryOptions o;
  o.endedAfterMs = 100;
  RoomRegistry rooms(loop, o);
  RoomError error;
  Room* r = rooms.create("live/demo", "", error);
  BOOST_REQUIRE(r);
  bool exists = false;
  BOOST_TEST(!rooms.create("live/demo", "", error, &exists));
  BOOST_TEST(exists);
  BOOST_TEST(!rooms.create("a/b/c", "", error));
  BOOST_TEST(error.code == 10015);
  FakeMember a("a");
  r->join(a);
  r->streamPublished();
  BOOST_TEST(r->info().status() == RoomStatus::Live);
  r->streamGone(100);
  BOOST_TEST(r->info().status() == RoomStatus::Paused);
  runFor(loop, 250);
  BOOST_TEST(r->info().status() == RoomStatus::Ended);
  std::vector<int> statuses;
  for (const auto& e : a.of("status")) statuses.push_back(e["status"]);
  BOOST_TEST(statuses == (std::vector<int>{2, 3, 4}), boost::test_tools::per_element());
  ChatMessage system{"system",
                     Priority::High,
                     {"administrator", "system", "", MemberRole::Admin},
                     {{"text", "hi all"}}};
  BOOST_TEST(rooms.broadcast(system) == 1u);
  BOOST_TEST(a.of("message").back()["msgType"] == "system");
  BOOST_TEST(rooms.remove("live/demo"));
  BOOST_TEST(a.removed.size() == 1u);
  BOOST_TEST(!rooms.find("live/demo"));
  runFor(loop, 10);
}

BOOST_AUTO_TEST_CASE(message_bodies_and_room_ids_are_checked) {
  BOOST_TEST(checkMessageBody("text", {{"text", "hi"}}).ok());
  BOOST_TEST(checkMessageBody("text", {{"text", 5}}).code == 10004);
  BOOST_TEST(checkMessageBody("text", json::array()).code == 10004);
  BOOST_TEST(checkMessageBody("gift", {{"gift", "rose"}, {"count", 99}}).ok());
  BOOST_TEST(checkMessageBody("gift", {{"gift", "rose"}, {"count", -1}}).code == 10004);
  BOOST_TEST(checkMessageBody("like", json::object()).ok());
  BOOST_TEST(checkMessageBody("like", {{"count", 1000001}}).code == 10004);
  BOOST_TEST(checkMessageBody("like", {{"count", UINT64_MAX}}).code == 10004);
  BOOST_TEST(checkMessageBody("custom", {{"data", "x"}, {"ext", 1}}).code == 10004);
  BOOST_TEST(checkMessageBody("video", json::object()).code == 10004);
  BOOST_TEST(defaultPriority("gift") == Priority::High);
  BOOST_TEST(defaultPriority("text") == Priority::Normal);
  BOOST_TEST(defaultPriority("like") == Priority::Low);
  BOOST_TEST(checkRoomId("live/demo").ok());
  BOOST_TEST(checkRoomId("lobby").ok());
  BOOST_TEST(checkRoomId("").code == 10015);
  BOOST_TEST(checkRoomId("a//b").code == 10015);
  BOOST_TEST(checkRoomId("live/").code == 10015);
  BOOST_TEST(checkRoomId("../x").code == 10015);
  BOOST_TEST(checkRoomId("live/a b").code == 10015);
  BOOST_TEST(checkRoomId(std::string(49, 'a')).code == 10015);
}

BOOST_AUTO_TEST_CASE(a_muted_member_gets_10017_until_it_expires_and_across_rejoins) {
  EventLoop loop;
  Room room(loop, "r", "host", {}, ids());
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  room.mute("a", 1);
  BOOST_REQUIRE(b.of("mute").size() == 1u);  // everyone is told at once
  BOOST_TEST(b.of("mute")[0]["user"] == "a");
  BOOST_TEST(b.of("mute")[0]["seconds"] == 1);
  RoomError e = room.checkSend(a.identity());
  BOOST_TEST(e.code == 10017);
  BOOST_TEST(e.message.find("more s") != std::string::npos);
  BOOST_TEST(room.checkSend(b.identity()).ok());
  room.leave(a);
  BOOST_TEST(room.join(a)["muted"] == true);  // survives leave and rejoin
  BOOST_TEST(room.checkSend(a.identity()).code == 10017);
  BOOST_TEST(room.mutes()["members"].size() == 1u);
  runFor(loop, 1100);
  BOOST_TEST(room.checkSend(a.identity()).ok());  // expired
  BOOST_TEST(room.mutes()["members"].empty());
  room.mute("b", 4294967295LL);  // the IM's "forever"
  BOOST_TEST(room.mutes()["members"][0]["until"].is_null());
  room.mute("b", 0);  // 0 lifts
  BOOST_TEST(room.checkSend(b.identity()).ok());
}

BOOST_AUTO_TEST_CASE(a_muted_room_lets_only_owner_and_admins_speak) {
  EventLoop loop;
  Room room(loop, "r", "host", {}, ids());
  FakeMember host("host"), admin("boss", MemberRole::Admin), m("m");
  room.join(m);
  room.muteAll(true);
  BOOST_TEST(m.of("mute").back()["all"] == true);
  BOOST_TEST(room.checkSend(m.identity()).code == 10017);
  BOOST_TEST(room.checkSend(host.identity()).ok());
  BOOST_TEST(room.checkSend(admin.identity()).ok());
  room.muteAll(false);
  BOOST_TEST(room.checkSend(m.identity()).ok());
}

BOOST_AUTO_TEST_CASE(a_kicked_user_is_removed_at_once_and_cannot_rejoin_until_unbanned) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a1("a"), a2("a"), b("b");  // "a" on two connections
  room.join(a1);
  room.join(a2);
  room.join(b);
  BOOST_TEST(room.kick("a", "spam", 0) == 2u);
  BOOST_TEST(room.online() == 1u);
  BOOST_REQUIRE(a1.removed.size() == 1u);
  BOOST_TEST(a1.events.back()["event"] == "kicked");
  BOOST_TEST(a1.events.back()["reason"] == "spam");
  BOOST_TEST(a1.events.back()["until"].is_null());  // banned for good
  BOOST_TEST(b.of("kicked").size() == 1u);
  RoomError e = room.checkJoin(a1.identity());
  BOOST_TEST(e.code == 10007);
  BOOST_TEST(e.message.find("banned") != std::string::npos);
  BOOST_TEST(room.bans()["members"].size() == 1u);
  BOOST_TEST(room.unban("a"));
  BOOST_TEST(room.checkJoin(a1.identity()).ok());
  room.send(&b, text(b, "after"));
  BOOST_TEST(a1.of("message").empty());  // gone from the fan-out
}

BOOST_AUTO_TEST_CASE(a_timed_ban_ends) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a");
  room.join(a);
  room.kick("a", "cool down", 1);
  BOOST_TEST(room.checkJoin(a.identity()).code == 10007);
  runFor(loop, 1100);
  BOOST_TEST(room.checkJoin(a.identity()).ok());
}

BOOST_AUTO_TEST_CASE(gifts_merge_streaks_and_likes_are_exact_under_the_limit) {
  EventLoop loop;
  RoomOptions o;
  o.giftPauseMs = 100;
  o.likeWindowMs = 100;
  Room room(loop, "r", "", o, ids());
  FakeMember m("m");
  room.join(m);
  const Sender alice{"alice", "Alice", "", MemberRole::Member};
  for (int i = 0; i < 99; ++i) room.gift(alice, "rose", 1, true);
  BOOST_TEST(!room.gift(alice, "car", 3, false).msgId.empty());  // explicit count: one message
  for (int i = 0; i < 500; ++i) BOOST_TEST(room.like(alice, 1) == i + 1);
  runFor(loop, 1500);
  int64_t roses = 0, gifts = 0;
  for (const auto& e : m.of("message")) {
    if (e["msgType"] == "gift") {
      ++gifts;
      BOOST_TEST(e["priority"] == "High");
      if (e["body"]["gift"] == "rose") roses += e["body"]["count"].get<int64_t>();
    }
  }
  BOOST_TEST(roses == 99);
  BOOST_TEST(gifts == 6);  // 5 rose messages + 1 car
  std::vector<json> likes;
  for (const auto& e : m.of("message"))
    if (e["msgType"] == "like") likes.push_back(e);
  BOOST_REQUIRE(likes.size() == 1u);  // 500 likes in one window: one Low message
  BOOST_TEST(likes[0]["priority"] == "Low");
  BOOST_TEST(likes[0]["body"]["count"] == 500);
  BOOST_TEST(room.likes() == 500);
  json g = room.giftsJson(10);
  BOOST_TEST(g["total"] == 102);
  BOOST_TEST(g["byGift"]["rose"] == 99);
  BOOST_TEST(g["topGivers"][0]["id"] == "alice");
  BOOST_TEST(room.describe()["likes"] == 500);
}

BOOST_AUTO_TEST_CASE(levels_come_from_weighted_stats_and_ride_on_messages) {
  EventLoop loop;
  RoomOptions o;
  o.level = {0, 1, 1, 10, 100, {2, 4, 100}};
  o.popularity = {10, 1, 1, 5};
  Room room(loop, "r", "", o, ids());
  FakeMember a("a"), g("guest-1", MemberRole::Guest);
  room.join(a);
  room.join(g);
  std::vector<int> levels;
  for (int i = 0; i < 4; ++i) {
    room.send(&a, text(a, "m"));
    levels.push_back(a.of("message").back()["from"]["level"].get<int>());
  }
  // A message counts toward the level it carries: scores 1, 2, 3, 4.
  BOOST_TEST(levels == (std::vector<int>{0, 1, 1, 2}), boost::test_tools::per_element());
  BOOST_TEST(room.levelOf("a") == 2);  // 4 messages
  room.like(a.identity(), 3);          // +3
  BOOST_TEST(room.userJson("a")["score"] == 7);
  room.setMembership("a", true);  // +100
  BOOST_TEST(room.levelOf("a") == 3);
  BOOST_TEST(room.userJson("a")["member"] == true);
  BOOST_TEST(room.userJson("guest-1")["score"] == 0);  // guests have no stats
  BOOST_TEST(room.popularity() == 10 * 2 + 4 + 3);
}

namespace {

struct FakeHooks : RoomHooks {
  std::vector<std::function<void(HookVerdict)>> pendingSend, pendingJoin;
  std::vector<std::string> afterSent, members, states;
  bool hasBeforeSend() const override { return true; }
  bool hasBeforeJoin() const override { return true; }
  void beforeSend(const std::string&, const ChatMessage&, const std::string&,
                  std::function<void(HookVerdict)> done) override {
    pendingSend.push_back(std::move(done));
  }
  void beforeJoin(const std::string&, const Sender&, const std::string&,
                  std::function<void(HookVerdict)> done) override {
    pendingJoin.push_back(std::move(done));
  }
  void afterSend(const std::string&, const ChatMessage& m, const std::string& msgId, int64_t,
                 int64_t) override {
    afterSent.push_back(m.body.value("text", "?"));
  }
  void memberChanged(const std::string&, const std::string& user, bool online,
                     const std::string& cause) override {
    members.push_back(user + (online ? "+" : "-") + cause);
  }
  void stateChanged(const std::string&, const std::string&, const std::string&,
                    const std::string&) override {}
  void streamChanged(const std::string&, bool) override {}
};

}  // namespace

BOOST_AUTO_TEST_CASE(before_send_verdicts_apply_in_submission_order) {
  EventLoop loop;
  RoomOptions o;
  o.history = 10;
  Room room(loop, "r", "", o, ids());
  FakeHooks hooks;
  room.setHooks(&hooks);
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  std::vector<std::pair<int, std::string>> replies(4);
  for (int i = 0; i < 4; ++i)
    room.submit(&a, text(a, "m" + std::to_string(i)), "127.0.0.1",
                [&replies, i](Room::Submitted r) {
                  replies[i] = {r.error.code, r.accepted.msgId};
                });
  BOOST_REQUIRE(hooks.pendingSend.size() == 4u);
  BOOST_TEST(b.of("message").empty());  // nothing before the backend answers
  HookVerdict rewrite;
  rewrite.body = json{{"text", "m3 (edited)"}};
  hooks.pendingSend[3](rewrite);  // the last answers first: it waits for the others
  BOOST_TEST(b.of("message").empty());
  HookVerdict reject{HookVerdict::Action::Reject, 10150, "custom refusal", std::nullopt};
  hooks.pendingSend[1](reject);
  hooks.pendingSend[2](HookVerdict{HookVerdict::Action::Drop, 0, "", std::nullopt});
  BOOST_TEST(b.of("message").empty());
  hooks.pendingSend[0](HookVerdict{});
  std::vector<std::string> seen;
  for (const auto& e : b.of("message")) seen.push_back(e["body"]["text"]);
  BOOST_TEST(seen == (std::vector<std::string>{"m0", "m3 (edited)"}),
             boost::test_tools::per_element());
  BOOST_TEST(replies[1].first == 10150);  // the backend's own code reaches the sender
  BOOST_TEST(replies[2].first == 0);      // a silent drop looks like success
  BOOST_TEST(!replies[2].second.empty());
  BOOST_TEST(hooks.afterSent == (std::vector<std::string>{"m0", "m3 (edited)"}),
             boost::test_tools::per_element());  // never for refused or dropped ones
  BOOST_TEST(room.counters().rejected == 1u);
  BOOST_TEST(room.counters().filtered == 1u);
  BOOST_TEST(hooks.members == (std::vector<std::string>{"a+Join", "b+Join"}),
             boost::test_tools::per_element());
  room.kick("b", "bye", 0);
  BOOST_TEST(hooks.members.back() == "b-Kicked");
}

BOOST_AUTO_TEST_CASE(a_room_deleted_while_its_backend_thinks_ignores_the_verdict) {
  EventLoop loop;
  FakeHooks hooks;
  bool called = false;
  {
    Room room(loop, "r", "", {}, ids());
    room.setHooks(&hooks);
    FakeMember a("a");
    room.join(a);
    room.submit(&a, text(a, "x"), "", [&](Room::Submitted) { called = true; });
    room.leave(a);
  }
  hooks.pendingSend[0](HookVerdict{});  // the room is gone: nothing happens
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(a_kicked_second_connection_never_sees_seq_go_back) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember c1("bob"), c2("bob"), other("o");
  room.join(other);
  room.join(c1);
  room.join(c2);
  room.kick("bob", "spam", 0);
  for (const FakeMember* m : {&c1, &c2}) {
    int64_t last = 0;
    for (const auto& e : m->events) {
      BOOST_TEST(e["seq"].get<int64_t>() >= last);
      last = e["seq"].get<int64_t>();
    }
    BOOST_TEST(m->events.back()["event"] == "kicked");
  }
  FakeMember c3("carol"), c4("carol");
  room.join(c3);
  room.join(c4);
  room.leave(c3);  // carol is still in the room on c4
  BOOST_TEST(room.members(std::nullopt, 10)["members"][0]["id"] == "carol");
}

BOOST_AUTO_TEST_CASE(late_verdicts_respect_mutes_bans_limits_and_deletion) {
  EventLoop loop;
  FakeHooks hooks;
  RoomRegistry rooms(loop, {});
  rooms.setHooks(&hooks);
  RoomError error;
  Room* room = rooms.create("r", "", error);
  FakeMember a("a"), b("b");
  room->join(a);
  room->join(b);
  std::vector<int> codes;
  auto record = [&codes](Room::Submitted s) { codes.push_back(s.error.code); };
  room->submit(&a, text(a, "1"), "", record);
  room->submit(&b, text(b, "2"), "", record);
  room->mute("a", 60);      // muted while the backend decides
  room->kick("b", "x", 0);  // banned while the backend decides
  hooks.pendingSend[0](HookVerdict{});
  hooks.pendingSend[1](HookVerdict{});
  BOOST_TEST(codes == (std::vector<int>{10017, 10007}), boost::test_tools::per_element());
  // At most 16 of one sender's messages wait for the backend.
  FakeMember c("c");
  room->join(c);
  codes.clear();
  for (int i = 0; i < 17; ++i) room->submit(&c, text(c, "x"), "", record);
  BOOST_REQUIRE(codes.size() == 1u);
  BOOST_TEST(codes[0] == 10023);
  // Deleting the room answers the waiting senders and ignores late verdicts.
  codes.clear();
  rooms.remove("r");
  BOOST_TEST(codes.size() == 16u);
  BOOST_TEST(codes[0] == 10010);
  hooks.pendingSend.back()(HookVerdict{});
  BOOST_TEST(codes.size() == 16u);
  runFor(loop, 10);
}

BOOST_AUTO_TEST_CASE(events_carry_the_stream_time_of_acceptance_and_the_tap_sees_them) {
  EventLoop loop;
  RoomOptions o;
  o.rateLimit = 2;  // a third message within a second waits for the limit
  Room room(loop, "live/demo", "host", o, ids());
  FakeMember a("a");
  room.join(a);
  std::optional<int64_t> clock;  // no stream: no stamp
  room.setStreamClock([&] { return clock; });
  std::vector<RoomEventPtr> tapped;
  std::vector<json> objects;
  room.setEventTap([&](const RoomEventPtr& e, const json& object) {
    tapped.push_back(e);
    objects.push_back(object);
  });

  room.send(&a, text(a, "off air"));
  BOOST_REQUIRE(!a.of("message").empty());
  BOOST_TEST(!a.of("message").back().contains("streamTime"));
  auto tappedSeq = [&](int64_t seq) -> RoomEventPtr {
    for (const auto& e : tapped)
      if (e->seq == seq) return e;
    return nullptr;
  };
  RoomEventPtr offAir = tappedSeq(a.of("message").back()["seq"].get<int64_t>());
  BOOST_REQUIRE(offAir);
  BOOST_TEST(!offAir->streamTimeMs);
  BOOST_TEST(offAir->kind == "text");

  clock = 5000;
  BOOST_TEST(room.setStatus(2, "live").ok());
  BOOST_TEST(a.of("status").back()["streamTime"] == 5000);
  RoomEventPtr status = tappedSeq(a.of("status").back()["seq"].get<int64_t>());
  BOOST_REQUIRE(status);
  BOOST_TEST(status->kind == "status");
  BOOST_TEST(status->streamTimeMs.value_or(-1) == 5000);

  // Accepted at 6000, held by the rate limit, delivered when the clock says 7000:
  // the stamp is the moment it was sent in the show.
  clock = 6000;
  room.send(&a, text(a, "filler"));
  room.send(&a, text(a, "held"));
  const auto heldIn = [&] {
    for (const auto& e : tapped)
      if (e->kind == "text" && e->json.view().find("\"held\"") != std::string_view::npos) return e;
    return RoomEventPtr();
  };
  BOOST_TEST(!heldIn());  // waiting for the limit
  clock = 7000;
  runFor(loop, 800);
  json held;
  for (const auto& m : a.of("message"))
    if (m["body"]["text"] == "held" && m["seq"] > 0) held = m;
  BOOST_REQUIRE(!held.is_null());
  BOOST_TEST(held["streamTime"] == 6000);
  RoomEventPtr heldEvent = heldIn();
  BOOST_REQUIRE(heldEvent);
  BOOST_TEST(heldEvent->streamTimeMs.value_or(-1) == 6000);

  // The tap sees room events only (seq > 0), each once, with the object its text
  // was written from.
  std::set<int64_t> seqs;
  for (size_t i = 0; i < tapped.size(); ++i) {
    BOOST_TEST(tapped[i]->seq > 0);
    BOOST_TEST(seqs.insert(tapped[i]->seq).second);
    BOOST_TEST(objects[i] == json::parse(tapped[i]->json.view()));
  }
  room.leave(a);
}

BOOST_AUTO_TEST_CASE(status_5_names_the_replay_recording) {
  EventLoop loop;
  Room room(loop, "live/demo", "host", {}, ids());
  FakeMember a("a");
  room.join(a);
  BOOST_TEST(room.setStatus(2, "live", "rec-1").code == code::kBadParameter);
  BOOST_TEST(room.setStatus(5, "the show is over", "live-demo-20261126-172000-123").ok());
  const json status = a.of("status").back();
  BOOST_TEST(status["status"] == 5);
  BOOST_TEST(status["replay"]["id"] == "live-demo-20261126-172000-123");
  BOOST_TEST(status["replay"]["url"] == "/replay/live-demo-20261126-172000-123.m3u8");
  BOOST_TEST(status["replay"]["events"] == "/replay/live-demo-20261126-172000-123/events.json");
  FakeMember b("b");
  BOOST_TEST(room.join(b)["replay"]["id"] == "live-demo-20261126-172000-123");
  // Another recording while in status 5 is news too; leaving status 5 drops it.
  BOOST_TEST(room.setStatus(5, "another", "rec-2").ok());
  BOOST_TEST(a.of("status").back()["replay"]["id"] == "rec-2");
  BOOST_TEST(room.setStatus(1, "waiting").ok());
  BOOST_TEST(!a.of("status").back().contains("replay"));
  BOOST_TEST(room.describe()["replay"].is_null());
  room.leave(a);
  room.leave(b);
}
