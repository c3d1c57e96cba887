// RoomEngagement: gifts and their streaks, likes, levels and popularity.
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
  for (int i = 0; i < 500; ++i) BOOST_TEST(room.engagement().like(alice, 1) == i + 1);
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
  BOOST_TEST(room.engagement().likes() == 500);
  json g = room.views().gifts(10);
  BOOST_TEST(g["total"] == 102);
  BOOST_TEST(g["byGift"]["rose"] == 99);
  BOOST_TEST(g["topGivers"][0]["id"] == "alice");
  BOOST_TEST(room.views().describe()["likes"] == 500);
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
  BOOST_TEST(room.engagement().levelOf("a") == 2);  // 4 messages
  room.engagement().like(a.identity(), 3);          // +3
  BOOST_TEST(room.views().user("a")["score"] == 7);
  room.engagement().setMembership("a", true);  // +100
  BOOST_TEST(room.engagement().levelOf("a") == 3);
  BOOST_TEST(room.views().user("a")["member"] == true);
  BOOST_TEST(room.views().user("guest-1")["score"] == 0);  // guests have no stats
  BOOST_TEST(room.engagement().popularity() == 10 * 2 + 4 + 3);
}
