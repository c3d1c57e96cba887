// RoomSession on a fake core::TextChannel, without sockets: the WebSocket's shared
// wire form, a data channel's binding to its stream's room (joined on login, requests
// default to it, other rooms refused), the events a WHEP viewer's media carries not
// sent again, the UserSig login of the URL, the flood close.
#include "protocols/room/room_session.hpp"

#include <boost/test/unit_test.hpp>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/auth/user_sig.hpp"
#include "protocols/room/room_server.hpp"

using nlohmann::json;
using namespace room;

namespace {

constexpr int64_t kAppId = 1400000123;
const std::string kKey = "unit-room-key-0123456789abcdef";

std::string sigOf(const std::string& user) {
  return core::generateUserSig(kAppId, kKey, user, 3600, std::time(nullptr));
}

struct FakeChannel : core::TextChannel {
  explicit FakeChannel(bool framed = false) : framed_(framed) {}
  bool sendText(std::string_view text) override {
    out.push_back(json::parse(text));
    return true;
  }
  void close(std::string_view reason, bool violation) override {
    closed_ = true;
    violated = violation;
    if (handler) handler->onClose(reason);
  }
  bool closed() const override { return closed_; }
  const std::string& peer() const override { return peer_; }
  Framer framer() const override { return framed_ ? &frame : nullptr; }
  bool sendFramed(const core::SharedBuffer& wire) override {
    frames.emplace_back(wire.view());
    return true;
  }
  static core::SharedBuffer frame(std::string_view text) {
    return core::SharedBuffer::copyOf("frame:" + std::string(text));
  }
  // The replies to `cmd` so far.
  std::vector<json> replies(const std::string& cmd) const {
    std::vector<json> r;
    for (const json& m : out)
      if (m.value("event", "") == "reply" && m.value("cmd", "") == cmd) r.push_back(m);
    return r;
  }

  bool framed_;
  bool closed_ = false;
  bool violated = false;
  std::string peer_ = "127.0.0.1:5000";
  std::vector<json> out;
  std::vector<std::string> frames;
  core::TextChannelHandler* handler = nullptr;
};

struct Fixture {
  Fixture() {
    RoomError error;
    room = rooms.create("live/demo", "", error);
    rooms.create("live/other", "", error);
  }
  static RoomServerOptions options() {
    RoomServerOptions o;
    o.appId = kAppId;
    o.key = kKey;
    o.clientRate = 5;
    o.mediaEvents = {"text", "status"};
    return o;
  }
  void say(RoomSession& s, const json& request) { s.onMessage(request.dump(), true); }

  core::EventLoop loop;
  http::HttpServer http{loop, "127.0.0.1", 0, http::HttpOptions{}};
  RoomRegistry rooms{loop, {}};
  MessagePath path{loop, rooms, {}};
  RoomServer server{loop, http, rooms, path, options()};
  Room* room = nullptr;
};

RoomEventPtr event(int64_t seq, const char* kind, std::optional<int64_t> streamTime) {
  json j = {{"event", "message"}, {"seq", seq}, {"kind", kind}};
  return makeRoomEvent(std::string_view(j.dump()), seq, 0, true, kind, streamTime);
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_websocket_session_writes_room_events_as_its_shared_frame, Fixture) {
  FakeChannel ws(true);
  RoomSession s(server, ws);
  say(s, {{"cmd", "login"}, {"user", "alice"}, {"usersig", sigOf("alice")}});
  say(s, {{"cmd", "join"}, {"id", 1}, {"room", "live/demo"}});
  BOOST_TEST(ws.replies("join").at(0)["code"] == 0);
  // Requests name their room on a WebSocket: none is refused.
  say(s, {{"cmd", "send"}, {"id", 2}, {"type", "text"}, {"body", {{"text", "hi"}}}});
  BOOST_TEST(ws.replies("send").at(0)["code"] == code::kBadParameter);
  auto e = event(1000, "text", 5);
  s.deliver(e);
  s.deliver(e);
  BOOST_REQUIRE(ws.frames.size() == 2u);
  BOOST_TEST(ws.frames[0] == FakeChannel::frame(e->json.view()).view());
}

BOOST_FIXTURE_TEST_CASE(a_channel_joins_its_streams_room_on_login_and_stays_there, Fixture) {
  FakeChannel dc;
  RoomSession s(server, dc, RoomSessionBinding{"live/demo", true});
  say(s, {{"cmd", "send"}, {"id", 1}, {"type", "text"}, {"body", {{"text", "early"}}}});
  BOOST_TEST(dc.replies("send").at(0)["code"] == code::kNoPermission);  // log in first
  s.loginWith("bob", sigOf("bob"));
  BOOST_TEST(dc.replies("login").at(0)["code"] == 0);
  BOOST_TEST(dc.replies("join").at(0)["room"] == "live/demo");
  BOOST_TEST(room->members().has(s));
  say(s, {{"cmd", "join"}, {"id", 2}, {"room", "live/other"}});
  BOOST_TEST(dc.replies("join").at(1)["code"] == code::kNoPermission);
  // No "room": the channel's.
  say(s, {{"cmd", "send"}, {"id", 3}, {"type", "text"}, {"body", {{"text", "hello"}}}});
  BOOST_TEST(dc.replies("send").at(1)["code"] == 0);
  BOOST_TEST(room->counters().delivered == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_bad_usersig_in_the_url_is_the_logins_error_and_sends_wait, Fixture) {
  FakeChannel dc;
  RoomSession s(server, dc, RoomSessionBinding{"live/demo", true});
  s.loginWith("carol", sigOf("mallory"));
  BOOST_TEST(dc.replies("login").at(0)["code"] == 70013);  // not the UserSig's user
  BOOST_TEST(dc.replies("join").empty());
  BOOST_TEST(!room->members().has(s));
  say(s, {{"cmd", "login"}, {"id", 1}, {"user", "carol"}, {"usersig", sigOf("carol")}});
  BOOST_TEST(dc.replies("login").at(1)["code"] == 0);
  BOOST_TEST(room->members().has(s));
}

BOOST_FIXTURE_TEST_CASE(a_viewers_channel_skips_what_its_media_carries, Fixture) {
  FakeChannel dc;
  RoomSession s(server, dc, RoomSessionBinding{"live/demo", true});
  s.loginWith("dave", sigOf("dave"));
  const int64_t seq = dc.replies("join").at(0)["seq"].get<int64_t>();
  const size_t before = dc.out.size();
  auto carried = event(seq + 1, "text", 100);
  carried->markCarriedInMedia();  // the Sidechannel put it in the stream
  s.deliver(carried);             // rides in the media: skipped
  // A text with the stream's clock the Sidechannel did not carry (too large for a
  // tag, the publisher gone): only the channel brings it.
  s.deliver(event(seq + 2, "text", 200));
  s.deliver(event(seq + 3, "online", 300));  // a kind the media does not carry
  BOOST_REQUIRE(dc.out.size() == before + 2);
  BOOST_TEST(dc.out[before]["seq"] == seq + 2);
  BOOST_TEST(dc.out[before + 1]["kind"] == "online");
}

BOOST_FIXTURE_TEST_CASE(a_publishers_channel_gets_every_event, Fixture) {
  FakeChannel dc;
  RoomSession s(server, dc, RoomSessionBinding{"live/demo", false});
  s.loginWith("erin", sigOf("erin"));
  const int64_t seq = dc.replies("join").at(0)["seq"].get<int64_t>();
  const size_t before = dc.out.size();
  s.deliver(event(seq + 1, "text", 100));
  BOOST_TEST(dc.out.size() == before + 1);
}

BOOST_FIXTURE_TEST_CASE(a_flooding_channel_is_closed_as_a_violation, Fixture) {
  FakeChannel dc;
  RoomSession s(server, dc, RoomSessionBinding{"live/demo", true});
  dc.handler = &s;
  for (int i = 0; i < 250 && !dc.closed(); ++i) say(s, {{"cmd", "heartbeat"}});
  BOOST_TEST(dc.closed());
  BOOST_TEST(dc.violated);
  size_t tooFast = 0;
  for (const json& m : dc.out) tooFast += m.value("code", 0) == code::kTooFast ? 1 : 0;
  BOOST_TEST(tooFast == 20u);  // then silence until the close
}
