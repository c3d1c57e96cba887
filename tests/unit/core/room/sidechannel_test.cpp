#include "core/room/sidechannel.hpp"

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

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
  // From the object (the room's event tap): the same text, the object stripped.
  json object = json::parse(full);
  BOOST_TEST(core::compactEventJson(object) == core::compactEventJson(full));
  BOOST_TEST(object == c);
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
