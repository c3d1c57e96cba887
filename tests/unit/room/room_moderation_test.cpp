// RoomModeration: mutes, a muted room, kicks and bans.
#include <boost/test/unit_test.hpp>
#include <functional>
#include <optional>
#include <set>

#include "core/loop/event_loop.hpp"
#include "room/room.hpp"
#include "room/room_registry.hpp"
#include "tests/unit/room/room_fakes.hpp"

using namespace core;
using namespace room;
using namespace room_fakes;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(a_muted_member_gets_10017_until_it_expires_and_across_rejoins) {
  EventLoop loop;
  Room room(loop, "r", "host", {}, ids());
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  room.moderation().mute("a", 1);
  BOOST_REQUIRE(b.of("mute").size() == 1u);  // everyone is told at once
  BOOST_TEST(b.of("mute")[0]["user"] == "a");
  BOOST_TEST(b.of("mute")[0]["seconds"] == 1);
  RoomError e = room.moderation().checkSend(a.identity());
  BOOST_TEST(e.code == 10017);
  BOOST_TEST(e.message.find("more s") != std::string::npos);
  BOOST_TEST(room.moderation().checkSend(b.identity()).ok());
  room.leave(a);
  BOOST_TEST(room.join(a)["muted"] == true);  // survives leave and rejoin
  BOOST_TEST(room.moderation().checkSend(a.identity()).code == 10017);
  BOOST_TEST(room.views().mutes()["members"].size() == 1u);
  runFor(loop, 1100);
  BOOST_TEST(room.moderation().checkSend(a.identity()).ok());  // expired
  BOOST_TEST(room.views().mutes()["members"].empty());
  room.moderation().mute("b", 4294967295LL);  // the IM's "forever"
  BOOST_TEST(room.views().mutes()["members"][0]["until"].is_null());
  room.moderation().mute("b", 0);  // 0 lifts
  BOOST_TEST(room.moderation().checkSend(b.identity()).ok());
}

BOOST_AUTO_TEST_CASE(a_muted_room_lets_only_owner_and_admins_speak) {
  EventLoop loop;
  Room room(loop, "r", "host", {}, ids());
  FakeMember host("host"), admin("boss", MemberRole::Admin), m("m");
  room.join(m);
  room.moderation().muteAll(true);
  BOOST_TEST(m.of("mute").back()["all"] == true);
  BOOST_TEST(room.moderation().checkSend(m.identity()).code == 10017);
  BOOST_TEST(room.moderation().checkSend(host.identity()).ok());
  BOOST_TEST(room.moderation().checkSend(admin.identity()).ok());
  room.moderation().muteAll(false);
  BOOST_TEST(room.moderation().checkSend(m.identity()).ok());
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
  RoomError e = room.moderation().checkJoin(a1.identity());
  BOOST_TEST(e.code == 10007);
  BOOST_TEST(e.message.find("banned") != std::string::npos);
  BOOST_TEST(room.views().bans()["members"].size() == 1u);
  BOOST_TEST(room.moderation().unban("a"));
  BOOST_TEST(room.moderation().checkJoin(a1.identity()).ok());
  room.send(&b, text(b, "after"));
  BOOST_TEST(a1.of("message").empty());  // gone from the fan-out
}

BOOST_AUTO_TEST_CASE(a_timed_ban_ends) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a");
  room.join(a);
  room.kick("a", "cool down", 1);
  BOOST_TEST(room.moderation().checkJoin(a.identity()).code == 10007);
  runFor(loop, 1100);
  BOOST_TEST(room.moderation().checkJoin(a.identity()).ok());
}
