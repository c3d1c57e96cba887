// Room: the composition of its parts: joining and leaving, fan-out, the online
// count, the registry, kicks across connections.
#include "room/room.hpp"

#include <boost/test/unit_test.hpp>
#include <functional>
#include <optional>
#include <set>

#include "core/loop/event_loop.hpp"
#include "room/room_registry.hpp"
#include "tests/unit/room/room_fakes.hpp"

using namespace core;
using namespace room;
using namespace room_fakes;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(join_reply_carries_status_info_and_history) {
  EventLoop loop;
  RoomOptions o;
  o.history = 2;
  Room room(loop, "live/demo", "host", o, ids());
  BOOST_TEST(room.state()
                 .updateInfo({{"announcement", "hello"},
                              {"introduction", "intro"},
                              {"attributes", {{"theme", "dark"}}}})
                 .ok());
  BOOST_TEST(room.state().setStatus(2, "test").ok());
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
  json all = room.views().members(std::nullopt, 100);
  BOOST_TEST(all["online"] == 4);
  BOOST_REQUIRE(all["members"].size() == 3u);  // the last 3 joiners
  BOOST_TEST(all["members"][0]["id"] == "m2");
  BOOST_TEST(all["members"][2]["id"] == "boss");
  BOOST_TEST(room.views().members(MemberRole::Admin, 10)["members"].size() == 1u);
  BOOST_TEST(room.views().members(MemberRole::Member, 1)["members"].size() == 1u);
  room.leave(m2);
  BOOST_TEST(room.views().members(std::nullopt, 100)["members"][0]["id"] == "m1");
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
  r->state().streamPublished();
  BOOST_TEST(r->state().info().status() == RoomStatus::Live);
  r->state().streamGone(100);
  BOOST_TEST(r->state().info().status() == RoomStatus::Paused);
  runFor(loop, 250);
  BOOST_TEST(r->state().info().status() == RoomStatus::Ended);
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
  BOOST_TEST(room.views().members(std::nullopt, 10)["members"][0]["id"] == "carol");
}
