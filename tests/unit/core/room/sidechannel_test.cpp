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
  const json c = json::parse(core::compactEventJson(full));
  BOOST_TEST(c ==
             json::parse(R"({"body":{"text":"hi"},"event":"message","from":{"id":"alice"},)"
                         R"("msgId":"m1a2b3c4d-7","msgType":"text","seq":7,"streamTime":1234})"));
  BOOST_TEST(core::compactEventJson(full).size() < full.size() * 2 / 3);
  // What differs from the defaults stays.
  const json vip = json::parse(core::compactEventJson(
      R"({"event":"message","from":{"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"}})"));
  BOOST_TEST(
      vip["from"] ==
      json::parse(
          R"({"avatar":"https://a/b.png","id":"bob","level":3,"nick":"Bob","role":"admin"})"));
  // Not an object: nothing (the caller then carries the event as it is).
  BOOST_TEST(core::compactEventJson("[1,2]").empty());
  BOOST_TEST(core::compactEventJson("{broken").empty());
}

BOOST_AUTO_TEST_CASE(the_text_compactor_agrees_with_the_parsed_one) {
  // Events as the room writes them (one serializer, sorted keys): the same text.
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
      json::parse(R"({"room":"only"})"),
      json::parse(R"({})"),
      json{{"event", "message"}, {"body", {{"text", std::string("ctl\x01\x1f\"\\/")}}}},
  };
  for (const json& e : events) {
    const std::string text = core::dumpJson(e);
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(core::compactEventJson(text) == core::compactEventJsonParsed(text));
    }
  }
  // Other spacing and number forms: the same values.
  const std::string spaced =
      " {\n \"room\" : \"r\" ,\t\"from\" : { \"id\" : \"z\" , \"nick\" : \"z\" } ,"
      " \"v\" : [ 1 , 2.50 , { } ] , \"big\" : 1E3 } \n";
  BOOST_TEST(json::parse(core::compactEventJson(spaced)) ==
             json::parse(core::compactEventJsonParsed(spaced)));
  // Not an object, or not JSON: "" as before, through the parsed path.
  for (const char* bad : {"", "[1]", "{", R"({"a":})", R"({"a" 1})", R"({"a":1,})",
                          R"({"a":"unterminated})", R"({"a":1} trailing)", "null"})
    BOOST_TEST(core::compactEventJson(bad) == core::compactEventJsonParsed(bad));
}
