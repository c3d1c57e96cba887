#include "core/room/sidechannel.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"

using nlohmann::json;

BOOST_AUTO_TEST_CASE(the_media_copy_leaves_out_what_a_player_does_not_need) {
  const std::string full =
      R"({"body":{"text":"hi"},"event":"message","from":{"avatar":"","id":"alice","level":0,)"
      R"("nick":"alice","role":"member"},"msgId":"m1a2b3c4d-7","msgType":"text",)"
      R"("priority":"Normal","room":"live/demo","seq":7,"streamTime":1234,"time":1795714220245})";
  const json c = json::parse(core::compactEventJson(json::parse(full)));
  BOOST_TEST(c ==
             json::parse(R"({"body":{"text":"hi"},"event":"message","from":{"id":"alice"},)"
                         R"("msgId":"m1a2b3c4d-7","msgType":"text","seq":7,"streamTime":1234})"));
  BOOST_TEST(core::compactEventJson(json::parse(full)).size() < full.size() * 2 / 3);
  // What differs from the defaults stays.
  const json vip = json::parse(core::compactEventJson(json::parse(
      R"({"event":"message","from":{"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"}})")));
  BOOST_TEST(
      vip["from"] ==
      json::parse(
          R"({"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"})"));
  // Not an object: nothing (the caller then carries the event as it is).
  BOOST_TEST(core::compactEventJson(json::array({1, 2})).empty());
}

namespace {

// The compact form by its definition: the event with the members left out, as the
// room's serializer writes it.
std::string reference(json j) {
  j.erase("room");
  j.erase("time");
  j.erase("priority");
  if (auto from = j.find("from"); from != j.end() && from->is_object()) {
    const json id = from->value("id", json());
    for (const auto& [key, value] : {std::pair<const char*, json>{"avatar", ""},
                                     {"level", 0},
                                     {"role", "member"},
                                     {"nick", id}})
      if (auto it = from->find(key); it != from->end() && *it == value && !value.is_null())
        from->erase(it);
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
  };
  for (const json& e : events) {
    BOOST_TEST_CONTEXT(e.dump(-1, ' ', false, json::error_handler_t::replace)) {
      BOOST_TEST(core::compactEventJson(e) == reference(e));
    }
  }
  // Not an object: nothing (the caller then carries the event as it is).
  BOOST_TEST(core::compactEventJson(json::array({1, 2})).empty());
  BOOST_TEST(core::compactEventJson(json()).empty());
}
