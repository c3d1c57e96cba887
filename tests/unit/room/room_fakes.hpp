// Test doubles for the room's unit tests: a Member that records what it gets, a
// RoomHooks that holds its verdicts for the test to give, and small helpers.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "room/chat_message.hpp"
#include "room/member.hpp"
#include "room/room_hooks.hpp"
#include "tests/unit/run_loop.hpp"

namespace room {
inline std::ostream& operator<<(std::ostream& os, MemberRole r) {
  return os << roleName(r);
}
inline std::ostream& operator<<(std::ostream& os, RoomStatus s) {
  return os << static_cast<int>(s);
}
inline std::ostream& operator<<(std::ostream& os, Priority p) {
  return os << priorityName(p);
}
}  // namespace room

namespace room_fakes {

using nlohmann::json;
using namespace room;

struct FakeMember : Member {
  Sender who;
  std::vector<json> events;
  std::vector<std::string> removed;
  std::function<void(const json&)> onEvent;
  explicit FakeMember(std::string id, MemberRole role = MemberRole::Member) {
    who.id = std::move(id);
    who.nick = "nick-" + who.id;
    who.avatar = "https://a/" + who.id + ".png";
    who.role = role;
  }
  const Sender& identity() const override { return who; }
  void deliver(const RoomEventPtr& event) override {
    events.push_back(json::parse(event->json.view()));
    if (onEvent) onEvent(events.back());
  }
  void removedFrom(const std::string& roomId, const RoomEventPtr& event) override {
    removed.push_back(roomId);
    events.push_back(json::parse(event->json.view()));
  }
  std::vector<json> of(const std::string& kind) const {
    std::vector<json> out;
    for (const auto& e : events)
      if (e["event"] == kind) out.push_back(e);
    return out;
  }
};

struct FakeHooks : RoomHooks {
  std::vector<std::function<void(HookVerdict)>> pendingSend, pendingJoin;
  std::vector<ChatMessage> asked;  // what the before-send hook saw
  std::vector<MessageSource> afterSources;
  std::vector<std::string> afterSent, members, states;
  bool beforeSendOn = true;
  bool hasBeforeSend() const override { return beforeSendOn; }
  bool hasBeforeJoin() const override { return true; }
  void beforeSend(const std::string&, const ChatMessage& message,
                  std::function<void(HookVerdict)> done) override {
    asked.push_back(message);
    pendingSend.push_back(std::move(done));
  }
  void beforeJoin(const std::string&, const Sender&, const ClientInfo&,
                  std::function<void(HookVerdict)> done) override {
    pendingJoin.push_back(std::move(done));
  }
  void afterSend(const std::string&, const ChatMessage& m, const std::string& msgId, int64_t,
                 int64_t) override {
    afterSent.push_back(m.body.value("text", "?"));
    afterSources.push_back(m.source);
  }
  void memberChanged(const std::string&, const std::string& user, bool online,
                     const std::string& cause, const ClientInfo&) override {
    members.push_back(user + (online ? "+" : "-") + cause);
  }
  void stateChanged(const std::string&, const std::string&, const std::string&,
                    const ClientInfo&) override {}
  void streamChanged(const std::string&, bool) override {}
};

inline ChatMessage text(const Member& from, std::string s, Priority p = Priority::Normal) {
  return {"text", p, from.identity(), {{"text", std::move(s)}}};
}

// Server-unique message ids for a test's rooms.
inline std::function<std::string()> ids() {
  return [n = 0]() mutable { return "m-" + std::to_string(++n); };
}

inline void runFor(core::EventLoop& loop, uint64_t ms) {
  testing_loop::runFor(loop, ms);
}

}  // namespace room_fakes
