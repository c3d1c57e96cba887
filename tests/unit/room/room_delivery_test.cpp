// RoomDelivery: messages through the rate limit to every member, history, the
// stream time of acceptance and the event tap.
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

BOOST_AUTO_TEST_CASE(events_carry_the_stream_time_of_acceptance_and_the_tap_sees_them) {
  EventLoop loop;
  RoomOptions o;
  o.rateLimit = 2;  // a third message within a second waits for the limit
  Room room(loop, "live/demo", "host", o, ids());
  FakeMember a("a");
  room.join(a);
  std::optional<int64_t> clock;  // no stream: no stamp
  room.members().setStreamClock([&] { return clock; });
  std::vector<RoomEventPtr> tapped;
  std::vector<json> objects;
  room.members().setEventTap([&](const RoomEventPtr& e, const json& object) {
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
  BOOST_TEST(room.state().setStatus(2, "live").ok());
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
