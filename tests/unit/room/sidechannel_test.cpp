#include "room/sidechannel.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"
#include "core/loop/event_loop.hpp"
#include "core/media/stream_registry.hpp"
#include "room/room.hpp"
#include "tests/unit/room/room_fakes.hpp"

using nlohmann::json;

BOOST_AUTO_TEST_CASE(the_media_copy_leaves_out_what_a_player_does_not_need) {
  const std::string full =
      R"({"body":{"text":"hi"},"event":"message","from":{"avatar":"","id":"alice","level":0,)"
      R"("nick":"alice","role":"member"},"msgId":"m1a2b3c4d-7","msgType":"text",)"
      R"("priority":"Normal","room":"live/demo","seq":7,"streamTime":1234,"time":1795714220245})";
  const json c = json::parse(room::compactEventJson(json::parse(full)));
  BOOST_TEST(c ==
             json::parse(R"({"body":{"text":"hi"},"event":"message","from":{"id":"alice"},)"
                         R"("msgId":"m1a2b3c4d-7","msgType":"text","seq":7,"streamTime":1234})"));
  BOOST_TEST(room::compactEventJson(json::parse(full)).size() < full.size() * 2 / 3);
  // What differs from the defaults stays.
  const json vip = json::parse(room::compactEventJson(json::parse(
      R"({"event":"message","from":{"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"}})")));
  BOOST_TEST(
      vip["from"] ==
      json::parse(
          R"({"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"})"));
  // Not an object: nothing (the caller then carries the event as it is).
  BOOST_TEST(room::compactEventJson(json::array({1, 2})).empty());
}

namespace {

// The compact form by its definition: the event with the members left out, as the
// room's serializer writes it.
std::string reference(json j) {
  j.erase("room");
  j.erase("time");
  j.erase("priority");
  if (auto from = j.find("from"); from != j.end() && from->is_object()) {
    const auto id = from->find("id");
    const bool nickIsId = id != from->end() && from->contains("nick") && from->at("nick") == *id;
    for (const auto& [key, value] :
         {std::pair<const char*, json>{"avatar", ""}, {"level", 0}, {"role", "member"}})
      if (auto it = from->find(key); it != from->end() && *it == value) from->erase(it);
    if (nickIsId) from->erase("nick");
  }
  return core::dumpJson(j);
}

}  // namespace

BOOST_AUTO_TEST_CASE(the_compact_form_is_the_event_written_without_the_left_out_members) {
  const std::vector<json> events = {
      json::parse(R"({"event":"message","room":"live/demo","seq":1,"time":5,"priority":"High",)"
                  R"("from":{"id":"a","nick":"a","avatar":"","level":0,"role":"member"},)"
                  R"("body":{"text":"}{][\",:\\ \"room\":1 こんにちは 🎉"}})"),
      json::parse(R"({"event":"message","from":{"id":"b","nick":"B","avatar":"x","level":2,)"
                  R"("role":"admin","extra":{"nested":[1,{"a":"}"}]}},"body":{"n":-1.5e-7}})"),
      json::parse(R"({"event":"gift","room":"r","from":{"nick":"b","role":"member"},)"
                  R"("gift":{"id":"rose","count":3},"streamTime":123456789})"),
      json::parse(R"({"event":"status","room":"r","status":2,"reason":"live","seq":9,)"
                  R"("time":1,"replay":null,"list":[],"empty":{}})"),
      json::parse(R"({"event":"like","from":"system","count":true})"),
      json::parse(R"({"room":"only","we\"ird\\key":{"room":1},"ctl\u0001":0})"),
      json::parse(R"({})"),
      json{{"event", "message"}, {"body", {{"text", std::string("ctl\x01\x1f\"\\/")}}}},
      json{{"event", "message"}, {"body", {{"text", std::string("bad utf-8 \xff\xfe")}}}},
      // Strings copied as they are or left to the serializer: UTF-8 of every length,
      // DEL, and each kind of invalid sequence on its own (overlong, surrogate, past
      // U+10FFFF, a stray continuation byte, cut at the end), in keys too.
      json{{"event", "message"}, {"body", {{"text", "弾幕 ¡olé! \x7f 𝄞 \xef\xbf\xbf"}}}},
      json{{"overlong2", std::string("a \xc0\x80")}},
      json{{"overlong2b", std::string("a \xc1\xbf")}},
      json{{"overlong3", std::string("a \xe0\x9f\xbf")}},
      json{{"overlong4", std::string("a \xf0\x8f\xbf\xbf")}},
      json{{"surrogate", std::string("a \xed\xa0\x80")}},
      json{{"not a surrogate", std::string("a \xed\x9f\xbf")}},
      json{{"beyond", std::string("a \xf4\x90\x80\x80")}},
      json{{"beyond5", std::string("a \xf5\x80\x80\x80")}},
      json{{"last", std::string("a \xf4\x8f\xbf\xbf")}},
      json{{"stray", std::string("a\x80"
                                 "b")}},
      json{{"cut", std::string("ok \xe3\x81")}},
      json{{"bad continuation", std::string("ok \xe3\x41\x81")}},
      json{{"bad third byte", std::string("ok \xe3\x81\x41")}},
      json{{"bad fourth byte", std::string("ok \xf0\x9d\x84\x41")}},
      json{{"quote only", "say \"hi\""}, {"backslash only", "C:\\dir"}, {"us", "a\x1f"}},
      json{{std::string("k\xe3\x81"), 1}, {"é", 2}},
      // Senders read from the text: every default in each form it can take, nick and
      // id of different types, an empty one, escapes (a quote after an even run of
      // backslashes ends the string).
      json::parse(R"({"from":{"id":"a","nick":"b","level":0.0}})"),
      json::parse(R"({"from":{"level":-0.0,"role":"member"}})"),
      json::parse(R"({"from":{"id":"7","nick":7,"level":"0","role":"Member"}})"),
      json::parse(R"({"from":{"nick":"x","ni\"ck":"x","id":"x","i\\d":"x"}})"),
      json::parse(R"({"from":{}, "room":"r"})"),
      json{{"from", {{"id", "\u00ff"}, {"nick", "\u00ff"}, {"avatar", "a\"b"}}}},
      json{{"from", {{"avatar", "dir\\"}, {"id", "q\\\\\""}, {"nick", "q\\\\\""}, {"x\\", ""}}}},
      // Keys that begin like the left-out ones, escaped or longer, stay.
      json{{"room\"", 1}, {"time\\", 2}, {"priority2", 3}, {"from", "not an object"}, {"tim", 4}},
      json{{"n", {0, -1, INT64_MIN, INT64_MAX, UINT64_MAX, 0.5, -0.0, 1e300}},
           {"b", {true, false, nullptr}},
           {"nest", {{"a", json::array({json::object(), json::array()})}}}},
  };
  // Events whose sender the text cannot decide on: nick and id both other than
  // strings (7 and 7.0 are equal values), strings the serializer replaced bytes in
  // (equal texts of unequal values), a sender with more members than it splits.
  const std::vector<json> undecidable = {
      json::parse(R"({"from":{"id":7,"nick":7.0,"level":0.0,"avatar":"","role":"member"}})"),
      json::parse(R"({"from":{"id":7,"nick":7,"level":-0.0}})"),
      json::parse(R"({"from":{"id":null,"nick":null,"avatar":null}})"),
      json::parse(R"({"from":{"id":["a"],"nick":["a"],"x":{"y":"}]\"{"}}})"),
      json{{"from", {{"id", std::string("\xff")}, {"nick", std::string("\xfe")}}}},
      json{{"from",
            {{"level", 0u},
             {"id", "a"},
             {"nick", "a"},
             {"a1", 1},
             {"a2", 2},
             {"a3", 3},
             {"a4", 4},
             {"a5", 5},
             {"a6", 6},
             {"a7", 7},
             {"a8", 8},
             {"a9", 9},
             {"b1", 1},
             {"b2", 2},
             {"b3", 3},
             {"b4", 4},
             {"b5", 5}}}},
  };
  auto text = [](const json& e) {
    core::JsonMemberIndex index;
    std::string t = core::dumpJsonIndexed(e, index);
    return room::compactEventText(t, index);
  };
  for (const json& e : events) {
    BOOST_TEST_CONTEXT(e.dump(-1, ' ', false, json::error_handler_t::replace)) {
      BOOST_TEST(room::compactEventJson(e) == reference(e));
      BOOST_TEST(room::compactEventJsonUnindexed(e) == reference(e));
      const auto cut = text(e);
      BOOST_TEST(cut.has_value());
      if (cut) BOOST_TEST(*cut == reference(e));
    }
  }
  for (const json& e : undecidable) {
    BOOST_TEST_CONTEXT(e.dump(-1, ' ', false, json::error_handler_t::replace)) {
      BOOST_TEST(!text(e));
      BOOST_TEST(room::compactEventJson(e) == reference(e));
      BOOST_TEST(room::compactEventJsonUnindexed(e) == reference(e));
    }
  }
  // Not an object: nothing (the caller then carries the event as it is).
  BOOST_TEST(room::compactEventJson(json::array({1, 2})).empty());
  BOOST_TEST(room::compactEventJson(json()).empty());
}

BOOST_AUTO_TEST_CASE(a_message_of_several_elements_rides_whole) {
  // Issue 15: the IM's MsgBody list is kept end to end, the media copy included.
  const nlohmann::json event = nlohmann::json::parse(
      R"({"event":"message","room":"live/a","seq":3,"time":1,"streamTime":2,"msgId":"m1-3",)"
      R"("msgType":"text","priority":"Normal","from":{"id":"bob","nick":"bob"},)"
      R"("body":{"text":"red packet"},"elements":[{"type":"text","body":{"text":"red packet"}},)"
      R"({"type":"custom","body":{"data":"message","desc":"notification","ext":"url"}}]})");
  const nlohmann::json carried = nlohmann::json::parse(room::compactEventJson(event));
  BOOST_TEST(carried["elements"] == event["elements"]);
  BOOST_TEST(nlohmann::json::parse(room::compactEventJsonUnindexed(event))["elements"] ==
             event["elements"]);
}

namespace {

// Records, for each message it is given, whether the Sidechannel had already put
// it in the stream's media (what a WHEP viewer's data channel looks at).
struct CarryWatcher : room_fakes::FakeMember {
  using FakeMember::FakeMember;
  std::vector<bool> carried;
  void deliver(const room::RoomEventPtr& event) override {
    if (event->message) carried.push_back(event->carriedInMedia());
    FakeMember::deliver(event);
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(an_event_is_marked_carried_before_the_members_get_it_and_only_then) {
  core::EventLoop loop;
  core::StreamRegistry streams(loop, {});
  room::Sidechannel side(streams, {});
  room::Room r(loop, "live/demo", "", {}, room_fakes::ids());
  side.attach(r);
  CarryWatcher viewer("v");
  r.join(viewer);
  // No publisher: no stream clock, nothing carried.
  r.send(&viewer, room_fakes::text(viewer, "before"));
  std::string error;
  auto lease = streams.publish("live", "demo", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  r.send(&viewer, room_fakes::text(viewer, "live"));
  lease.reset();
  r.send(&viewer, room_fakes::text(viewer, "after"));
  BOOST_TEST((viewer.carried == std::vector<bool>{false, true, false}));
  BOOST_TEST(side.counters().carried == 1u);
}
