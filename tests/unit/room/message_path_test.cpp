// MessagePath: the send policy every transport's requests go through, without
// sockets: who may send, what, the word filter, gifts and likes, Randoms, the
// backend's before-send verdicts in submission order, and the source the hooks
// are told.
#include "room/message_path.hpp"

#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "room/room_registry.hpp"
#include "tests/unit/room/room_fakes.hpp"

using namespace core;
using namespace room;
using namespace room_fakes;
using nlohmann::json;

namespace {

const Sender kSystem{"administrator", "system", "", MemberRole::Admin};

// Rooms "r" (and "s") in a registry, and the path every request takes.
struct Rooms {
  explicit Rooms(RoomOptions o = {}, MessagePathOptions p = {})
      : rooms(loop, {o, false, false, 0}), path(loop, rooms, p) {
    RoomError error;
    r = rooms.create("r", "host", error);
    s = rooms.create("s", "", error);
  }
  EventLoop loop;
  RoomRegistry rooms;
  MessagePath path;
  Room* r = nullptr;
  Room* s = nullptr;
};

// A member's request from its own connection (a WebSocket).
SendRequest fromMember(FakeMember& m, std::string type, json body) {
  SendRequest req;
  req.source.origin = Origin::WebSocket;
  req.source.clientIp = "198.51.100.7";
  req.from = m.identity();
  req.connection = &m;
  req.elements.push_back({std::move(type), std::move(body)});
  return req;
}

SendRequest memberText(FakeMember& m, std::string text) {
  return fromMember(m, "text", {{"text", std::move(text)}});
}

// An admin's API call speaking for `from`.
SendRequest fromApi(Sender from, std::string type, json body) {
  SendRequest req;
  req.source.origin = Origin::ImRest;
  req.source.platform = "RESTAPI";
  req.source.operatorAccount = "administrator";
  req.from = std::move(from);
  req.elements.push_back({std::move(type), std::move(body)});
  return req;
}

// The result of a send that is answered at once.
SendResult sendNow(MessagePath& path, Room& room, SendRequest req) {
  std::optional<SendResult> out;
  path.send(room, std::move(req), [&out](SendResult r) {
    BOOST_TEST(!out);  // exactly once
    out = std::move(r);
  });
  BOOST_REQUIRE(out.has_value());
  return *out;
}

std::vector<std::string> texts(const FakeMember& m) {
  std::vector<std::string> out;
  for (const auto& e : m.of("message")) out.push_back(e["body"].value("text", "?"));
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_members_request_meets_the_policy_in_order_and_refusals_count) {
  Rooms t;
  FakeMember a("a"), guest("guest-1", MemberRole::Guest), other("o");
  for (FakeMember* m : {&a, &guest, &other}) t.r->join(*m);
  // A guest is refused before anything else is looked at (its type is bad too).
  BOOST_TEST(sendNow(t.path, *t.r, fromMember(guest, "video", {})).error.code == 10007);
  SendRequest badType = fromMember(a, "video", {{"text", "x"}});
  BOOST_TEST(sendNow(t.path, *t.r, badType).error.code == 10004);
  BOOST_TEST(sendNow(t.path, *t.r, fromMember(a, "system", {{"text", "x"}})).error.code == 10004);
  SendRequest badPriority = memberText(a, "x");
  badPriority.priority = "Urgent";
  BOOST_TEST(sendNow(t.path, *t.r, badPriority).error.code == 10004);
  BOOST_TEST(sendNow(t.path, *t.r, fromMember(a, "text", json())).error.code == 10004);
  BOOST_TEST(sendNow(t.path, *t.r, fromMember(a, "text", {{"text", ""}})).error.code == 10004);
  // A mute comes before the message's own faults.
  t.r->moderation().mute("a", 60);
  BOOST_TEST(sendNow(t.path, *t.r, badPriority).error.code == 10017);
  BOOST_TEST(t.r->counters().rejected == 7u);
  BOOST_TEST(other.of("message").empty());
  t.r->moderation().mute("a", 0);
  // Only the documented fields of the body reach the members.
  SendRequest ok = fromMember(a, "text", {{"text", "hi"}, {"evil", "<script>"}});
  ok.priority = "High";
  const SendResult sent = sendNow(t.path, *t.r, ok);
  BOOST_TEST(sent.ok());
  BOOST_TEST(!sent.msgId.empty());
  BOOST_REQUIRE(other.of("message").size() == 1u);
  const json delivered = other.of("message")[0];
  BOOST_TEST(delivered["body"] == (json{{"text", "hi"}}));
  BOOST_TEST(delivered["priority"] == "High");
  BOOST_TEST(delivered["msgId"] == sent.msgId);
  BOOST_TEST(t.r->counters().delivered == 1u);
}

BOOST_AUTO_TEST_CASE(the_word_filter_masks_or_rejects_members_text_only) {
  std::string error;
  auto words = WordFilter::parse("bad\n", error);
  BOOST_REQUIRE(words);
  Rooms masking;
  masking.path.setWordFilter(words);
  FakeMember a("a"), o("o");
  masking.r->join(a);
  masking.r->join(o);
  BOOST_TEST(sendNow(masking.path, *masking.r, memberText(a, "a bad word")).ok());
  BOOST_TEST(sendNow(masking.path, *masking.r, fromApi(kSystem, "text", {{"text", "bad"}})).ok());
  BOOST_TEST(texts(o) == (std::vector<std::string>{"a *** word", "bad"}),
             boost::test_tools::per_element());
  BOOST_TEST(masking.r->counters().filtered == 1u);

  Rooms rejecting({}, {true});
  rejecting.path.setWordFilter(words);
  FakeMember b("b");
  rejecting.r->join(b);
  BOOST_TEST(sendNow(rejecting.path, *rejecting.r, memberText(b, "BAD")).error.code == 10016);
  BOOST_TEST(sendNow(rejecting.path, *rejecting.r, memberText(b, "good")).ok());
  BOOST_TEST(rejecting.r->counters().filtered == 1u);
  BOOST_TEST(rejecting.r->counters().rejected == 1u);
}

BOOST_AUTO_TEST_CASE(gifts_are_the_backends_and_likes_are_merged) {
  RoomOptions o;
  o.likeWindowMs = 50;
  o.giftPauseMs = 50;
  Rooms t(o);
  FakeMember a("a"), watcher("w");
  t.r->join(a);
  t.r->join(watcher);
  const Sender alice{"alice", "Alice", "", MemberRole::Member};
  const json rose = {{"gift", "rose"}, {"count", 3}};
  BOOST_TEST(sendNow(t.path, *t.r, fromMember(a, "gift", rose)).error.code == 10007);
  // An API gift that is not billed is an ordinary message: no totals.
  BOOST_TEST(!sendNow(t.path, *t.r, fromApi(alice, "gift", rose)).msgId.empty());
  BOOST_TEST(t.r->engagement().gifts() == 0);
  SendRequest billed = fromApi(alice, "gift", rose);
  billed.billedGift = true;
  const SendResult once = sendNow(t.path, *t.r, billed);
  BOOST_TEST((!once.merged && !once.msgId.empty()));
  billed.giftStreak = true;
  const SendResult click = sendNow(t.path, *t.r, billed);
  BOOST_TEST((click.merged && click.msgId.empty()));
  BOOST_TEST(t.r->engagement().gifts() == 6);
  const SendResult like = sendNow(t.path, *t.r, fromMember(a, "like", {{"count", 5}}));
  BOOST_TEST((like.merged && like.likes == 5));
  BOOST_TEST(sendNow(t.path, *t.r, fromApi(alice, "like", json::object())).likes == 6);
  runFor(t.loop, 200);
  int likes = 0, gifts = 0;
  for (const auto& e : watcher.of("message")) {
    if (e["msgType"] == "like") {
      ++likes;
      BOOST_TEST(e["body"]["count"] == 6);
    }
    if (e["msgType"] == "gift") ++gifts;
  }
  BOOST_TEST(likes == 1);
  BOOST_TEST(gifts == 3);  // the plain one, the billed one, the streak's flush
}

BOOST_AUTO_TEST_CASE(the_apis_speak_for_users_and_the_system_without_the_member_policy) {
  Rooms t;
  FakeHooks hooks;
  t.rooms.setHooks(&hooks);
  FakeMember o("o");
  t.r->join(o);
  t.r->moderation().mute("a", 60);
  const Sender a{"a", "A", "", MemberRole::Member};
  // The APIs' sends skip mutes; the before-send hook is asked about them as
  // the IM asks about an admin's REST send_group_msg, never about system notices.
  std::optional<SendResult> api;
  t.path.send(*t.r, fromApi(a, "text", {{"text", "from the backend"}}),
              [&api](SendResult r) { api = std::move(r); });
  BOOST_REQUIRE(hooks.asked.size() == 1u);
  BOOST_TEST(!api);
  BOOST_TEST(hooks.asked[0].source.operatorAccount == "administrator");
  BOOST_TEST(hooks.asked[0].source.random.has_value());  // every message has its Random
  hooks.pendingSend[0](HookVerdict{});
  BOOST_TEST((api && api->ok()));
  BOOST_TEST(sendNow(t.path, *t.r, fromApi(kSystem, "system", {{"text", "notice"}})).ok());
  BOOST_TEST(hooks.asked.size() == 1u);
  BOOST_TEST(texts(o) == (std::vector<std::string>{"from the backend", "notice"}),
             boost::test_tools::per_element());
  BOOST_TEST(o.of("message")[1]["msgType"] == "system");
  BOOST_REQUIRE(hooks.afterSources.size() == 2u);
  BOOST_TEST(hooks.afterSources[0].operatorAccount == "administrator");
  BOOST_TEST((hooks.afterSources[0].origin == Origin::ImRest));
  SendRequest two = fromApi(a, "text", {{"text", "1"}});
  two.elements.push_back({"custom", {{"data", "2"}, {"desc", "d"}}});
  two.source.skipBeforeSend = true;
  BOOST_TEST(sendNow(t.path, *t.r, two).ok());  // the IM's MsgBody list: kept whole
  const json seen = o.of("message").back();
  BOOST_TEST(seen["body"] == (json{{"text", "1"}}));
  BOOST_TEST(seen["elements"] ==
             json::parse(R"([{"type":"text","body":{"text":"1"}},)"
                         R"({"type":"custom","body":{"data":"2","desc":"d"}}])"));
  two.elements.push_back({"gift", {{"gift", "rose"}}});  // content only after the first
  BOOST_TEST(sendNow(t.path, *t.r, two).error.code == 10004);
}

BOOST_AUTO_TEST_CASE(a_random_is_sent_once_within_its_window) {
  Rooms t;
  FakeMember o("o");
  t.r->join(o);
  const Sender bob{"bob", "bob", "", MemberRole::Member};
  SendRequest req = fromApi(bob, "text", {{"text", "once"}});
  req.source.random = 7;
  const SendResult first = sendNow(t.path, *t.r, req);
  const SendResult again = sendNow(t.path, *t.r, req);
  BOOST_TEST((first.ok() && !first.duplicate));
  BOOST_TEST((again.duplicate && again.msgId == first.msgId && again.timeMs == first.timeMs));
  BOOST_TEST(texts(o).size() == 1u);
  BOOST_TEST(!sendNow(t.path, *t.s, req).duplicate);  // another room: another message
  // A refused request leaves its Random free.
  SendRequest bad = fromApi(bob, "text", {{"text", 5}});
  bad.source.random = 8;
  BOOST_TEST(sendNow(t.path, *t.r, bad).error.code == 10004);
  bad.elements[0].body = {{"text", "fixed"}};
  BOOST_TEST(!sendNow(t.path, *t.r, bad).duplicate);
  // Broadcasts: every room, once per Random.
  SendRequest notice = fromApi(kSystem, "system", {{"text", "to all"}});
  notice.source.random = 7;
  BOOST_TEST(t.path.broadcast(notice).rooms == 2u);
  BOOST_TEST(t.path.broadcast(notice).duplicate);
  BOOST_TEST(texts(o).back() == "to all");
  BOOST_TEST(t.path.broadcast(fromApi(kSystem, "system", {{"text", ""}})).error.code == 10004);
}

BOOST_AUTO_TEST_CASE(the_source_reaches_the_hooks_and_may_skip_them) {
  Rooms t;
  FakeHooks hooks;
  t.rooms.setHooks(&hooks);
  FakeMember a("a");
  t.r->join(a);
  bool answered = false;
  t.path.send(*t.r, memberText(a, "asked"), [&](SendResult) { answered = true; });
  BOOST_TEST(!answered);  // never inside send() when the backend is asked
  BOOST_REQUIRE(hooks.asked.size() == 1u);
  BOOST_TEST(hooks.asked[0].source.clientIp == "198.51.100.7");
  BOOST_TEST((hooks.asked[0].source.origin == Origin::WebSocket));
  hooks.pendingSend[0](HookVerdict{});
  BOOST_TEST(answered);
  SendRequest quiet = memberText(a, "unasked, untold");
  quiet.source.skipBeforeSend = quiet.source.skipAfterSend = true;
  BOOST_TEST(sendNow(t.path, *t.r, quiet).ok());
  BOOST_TEST(hooks.asked.size() == 1u);
  BOOST_TEST(hooks.afterSent == (std::vector<std::string>{"asked"}),
             boost::test_tools::per_element());
  hooks.beforeSendOn = false;  // a backend without the hook: at once
  BOOST_TEST(sendNow(t.path, *t.r, memberText(a, "direct")).ok());
}

BOOST_AUTO_TEST_CASE(before_send_verdicts_apply_in_submission_order) {
  RoomOptions o;
  o.history = 10;
  Rooms t(o);
  Room& room = *t.r;
  FakeHooks hooks;
  t.rooms.setHooks(&hooks);
  FakeMember a("a"), b("b");
  room.join(a);
  room.join(b);
  std::vector<std::pair<int, std::string>> replies(4);
  for (int i = 0; i < 4; ++i)
    t.path.send(room, memberText(a, "m" + std::to_string(i)), [&replies, i](SendResult r) {
      replies[i] = {r.error.code, r.msgId};
    });
  BOOST_REQUIRE(hooks.pendingSend.size() == 4u);
  BOOST_TEST(b.of("message").empty());  // nothing before the backend answers
  HookVerdict rewrite;
  rewrite.elements = std::vector<MessageElement>{{"text", {{"text", "m3 (edited)"}, {"evil", 1}}}};
  hooks.pendingSend[3](rewrite);  // the last answers first: it waits for the others
  BOOST_TEST(b.of("message").empty());
  HookVerdict reject{HookVerdict::Action::Reject, 10150, "custom refusal", std::nullopt};
  hooks.pendingSend[1](reject);
  hooks.pendingSend[2](HookVerdict{HookVerdict::Action::Drop, 0, "", std::nullopt});
  BOOST_TEST(b.of("message").empty());
  hooks.pendingSend[0](HookVerdict{});
  BOOST_TEST(texts(b) == (std::vector<std::string>{"m0", "m3 (edited)"}),
             boost::test_tools::per_element());
  BOOST_TEST(!b.of("message")[1]["body"].contains("evil"));
  BOOST_TEST(replies[1].first == 10150);  // the backend's own code reaches the sender
  BOOST_TEST(replies[2].first == 0);      // a silent drop looks like success
  BOOST_TEST(!replies[2].second.empty());
  BOOST_TEST(hooks.afterSent == (std::vector<std::string>{"m0", "m3 (edited)"}),
             boost::test_tools::per_element());  // never for refused or dropped ones
  BOOST_TEST(room.counters().rejected == 1u);
  BOOST_TEST(room.counters().filtered == 1u);
  BOOST_TEST(hooks.members == (std::vector<std::string>{"a+Join", "b+Join"}),
             boost::test_tools::per_element());
  room.kick("b", "bye", 0);
  BOOST_TEST(hooks.members.back() == "b-Kicked");
}

BOOST_AUTO_TEST_CASE(a_room_deleted_while_its_backend_thinks_ignores_the_verdict) {
  EventLoop loop;
  RoomRegistry rooms(loop, {});
  MessagePath path(loop, rooms, {});
  FakeHooks hooks;
  bool called = false;
  {
    Room room(loop, "r", "", {}, ids());
    room.setHooks(&hooks);
    FakeMember a("a");
    room.join(a);
    path.send(room, memberText(a, "x"), [&](SendResult) { called = true; });
    room.leave(a);
  }
  hooks.pendingSend[0](HookVerdict{});  // the room is gone: nothing happens
  BOOST_TEST(!called);
}

BOOST_AUTO_TEST_CASE(late_verdicts_respect_mutes_bans_limits_and_deletion) {
  Rooms t;
  FakeHooks hooks;
  t.rooms.setHooks(&hooks);
  Room* room = t.r;
  FakeMember a("a"), b("b");
  room->join(a);
  room->join(b);
  std::vector<int> codes;
  auto record = [&codes](SendResult s) { codes.push_back(s.error.code); };
  t.path.send(*room, memberText(a, "1"), record);
  t.path.send(*room, memberText(b, "2"), record);
  room->moderation().mute("a", 60);  // muted while the backend decides
  room->kick("b", "x", 0);           // banned while the backend decides
  hooks.pendingSend[0](HookVerdict{});
  hooks.pendingSend[1](HookVerdict{});
  BOOST_TEST(codes == (std::vector<int>{10017, 10007}), boost::test_tools::per_element());
  // At most 16 of one sender's messages wait for the backend.
  FakeMember c("c");
  room->join(c);
  codes.clear();
  for (int i = 0; i < 17; ++i) t.path.send(*room, memberText(c, "x"), record);
  BOOST_REQUIRE(codes.size() == 1u);
  BOOST_TEST(codes[0] == 10023);
  // Deleting the room answers the waiting senders and ignores late verdicts.
  codes.clear();
  t.rooms.remove("r");
  BOOST_TEST(codes.size() == 16u);
  BOOST_TEST(codes[0] == 10010);
  hooks.pendingSend.back()(HookVerdict{});
  BOOST_TEST(codes.size() == 16u);
  runFor(t.loop, 10);
}
