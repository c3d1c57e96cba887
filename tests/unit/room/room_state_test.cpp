// RoomState: status and info changes, their limits, the replay of status 5.
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

BOOST_AUTO_TEST_CASE(status_and_info_changes_reach_everyone_and_limits_give_10004) {
  EventLoop loop;
  Room room(loop, "r", "", {}, ids());
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  BOOST_TEST(room.state().setStatus(3, "api").ok());
  BOOST_REQUIRE(a.of("status").size() == 1u);
  BOOST_TEST(b.of("status")[0]["status"] == 3);
  RoomError e = room.state().updateInfo({{"announcement", std::string(301, 'x')}});
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(e.message.find("300") != std::string::npos);
  // All or nothing: a bad attribute keeps the good announcement out too.
  e = room.state().updateInfo({{"announcement", "ok"}, {"attributes", {{"bad key", "v"}}}});
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(room.state().info().announcement().empty());
  BOOST_TEST(a.of("info").empty());
  BOOST_TEST(room.state().updateInfo({{"announcement", "ok"}}).ok());
  BOOST_TEST(b.of("info")[0]["announcement"] == "ok");
  BOOST_TEST(room.state().setStatus(9, "api").code == 10004);
}

BOOST_AUTO_TEST_CASE(status_5_names_the_replay_recording) {
  EventLoop loop;
  Room room(loop, "live/demo", "host", {}, ids());
  FakeMember a("a");
  room.join(a);
  BOOST_TEST(room.state().setStatus(2, "live", "rec-1").code == code::kBadParameter);
  BOOST_TEST(room.state().setStatus(5, "the show is over", "live-demo-20261126-172000-123").ok());
  const json status = a.of("status").back();
  BOOST_TEST(status["status"] == 5);
  BOOST_TEST(status["replay"]["id"] == "live-demo-20261126-172000-123");
  BOOST_TEST(status["replay"]["url"] == "/replay/live-demo-20261126-172000-123.m3u8");
  BOOST_TEST(status["replay"]["events"] == "/replay/live-demo-20261126-172000-123/events.json");
  FakeMember b("b");
  BOOST_TEST(room.join(b)["replay"]["id"] == "live-demo-20261126-172000-123");
  // Another recording while in status 5 is news too; leaving status 5 drops it.
  BOOST_TEST(room.state().setStatus(5, "another", "rec-2").ok());
  BOOST_TEST(a.of("status").back()["replay"]["id"] == "rec-2");
  BOOST_TEST(room.state().setStatus(1, "waiting").ok());
  BOOST_TEST(!a.of("status").back().contains("replay"));
  BOOST_TEST(room.views().describe()["replay"].is_null());
  room.leave(a);
  room.leave(b);
}
