// messageBody: the one rule that turns a body from outside into the body members
// get (documented fields only, checked, bounded).
#include "room/chat_message.hpp"

#include <boost/test/unit_test.hpp>

#include "tests/unit/room/room_fakes.hpp"

using namespace core;
using namespace room;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(only_the_documented_fields_of_each_type_are_kept) {
  const json extra = {{"evil", "<script>"}, {"from", "administrator"}, {"nested", {{"a", {1}}}}};
  const std::vector<std::pair<std::string, json>> cases = {
      {"text", {{"text", "hi"}}},
      {"system", {{"text", "notice"}}},
      {"custom", {{"data", "d"}, {"desc", "de"}, {"ext", "ex"}}},
      {"custom", {{"data", "d"}, {"cloudCustomData", "cc"}}},
      {"image", {{"url", "https://i/x.png"}, {"width", 3}, {"height", 4}}},
      {"voice", {{"url", "https://v/x.ogg"}, {"seconds", 2}}},
      {"gift", {{"gift", "rose"}, {"count", 9}}},
      {"like", {{"count", 3}}},
      {"like", json::object()},
  };
  for (const auto& [type, body] : cases) {
    BOOST_TEST_CONTEXT(type << " " << body.dump()) {
      json in = body;
      in.update(extra);
      json out;
      BOOST_TEST(messageBody(type, in, out).ok());
      BOOST_TEST(out == body);
      // In place, as a transport that maps its own body calls it.
      BOOST_TEST(messageBody(type, in, in).ok());
      BOOST_TEST(in == body);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_body_is_checked_and_left_alone_when_refused) {
  json out = {{"text", "before"}};
  BOOST_TEST(messageBody("text", {{"text", 5}}, out).code == code::kBadParameter);
  BOOST_TEST(messageBody("text", {{"text", "x"}, {"cloudCustomData", 1}}, out).code ==
             code::kBadParameter);
  BOOST_TEST(messageBody("video", {{"url", "x"}}, out).code == code::kBadParameter);
  BOOST_TEST(out == json({{"text", "before"}}));
}

BOOST_AUTO_TEST_CASE(a_body_is_at_most_a_members_message_size) {
  const size_t overhead = std::string(R"({"text":""})").size();
  json out;
  const std::string fits(kMaxMessageBodyBytes - overhead, 'x');
  BOOST_TEST(messageBody("text", {{"text", fits}}, out).ok());
  BOOST_TEST(dumpJson(out).size() == kMaxMessageBodyBytes);
  const RoomError over = messageBody("text", {{"text", fits + "x"}}, out);
  BOOST_TEST(over.code == code::kBadParameter);
  BOOST_TEST(over.message.find("larger than 12288 bytes") != std::string::npos, over.message);
  // The issue's 900 KB system text from the API.
  BOOST_TEST(!messageBody("system", {{"text", std::string(900000, 's')}}, out).ok());
  // Dropped fields do not count; cloudCustomData does.
  BOOST_TEST(messageBody("text", {{"text", "hi"}, {"junk", std::string(20000, 'j')}}, out).ok());
  BOOST_TEST(
      !messageBody("text", {{"text", "hi"}, {"cloudCustomData", std::string(20000, 'c')}}, out)
           .ok());
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
