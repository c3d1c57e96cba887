// RoomMembers: a room's members and its fan-out (R3, R11, R15): the member list in
// fan-out order, the room's seq, events encoded once and handed to every member
// (they share the bytes), enter/leave events, recent joiners, the online count
// push rule, the stream clock and the event tap (S1). Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "room/member.hpp"
#include "room/online_count_pusher.hpp"
#include "room/room_context.hpp"
#include "room/room_event.hpp"

namespace room {

class RoomMembers {
 public:
  struct Recent {
    Sender who;
    int64_t joinedMs;
  };

  explicit RoomMembers(RoomContext& ctx);

  size_t size() const { return index_.size(); }
  size_t peak() const { return peak_; }
  bool has(const Member& member) const { return index_.contains(const_cast<Member*>(&member)); }
  int64_t seq() const { return seq_; }

  // Adds `member` (not yet in the room), shown to the others as `who`: the others
  // get an "enter" event while the room is small, and it heads the recent joiners.
  void add(Member& member, Sender who);
  // Removes `member` (in the room): the others get a "leave" event while the room
  // is small; `lastConnection` drops the user from the recent joiners.
  void remove(Member& member, bool lastConnection);
  // Removes every member at once (the room is deleted); returns them.
  std::vector<Member*> clear();

  // A member's connection token (0: not a member), stable while it stays, and back.
  uint64_t tokenOf(const Member* member) const;
  Member* byToken(uint64_t token) const;
  std::vector<Member*> connectionsOf(const std::string& user) const;
  const std::deque<Recent>& recent() const { return recent_; }  // newest first

  // Events. A head: event, room, seq, time and the stream time (none: left out).
  nlohmann::json eventHead(const char* event) const { return eventHead(event, 0, 0, streamNow()); }
  nlohmann::json eventHead(const char* event, int64_t seq, int64_t timeMs,
                           std::optional<int64_t> streamTime) const;
  // A room event to everyone, with the next seq and the time now.
  void emit(nlohmann::json event, bool isMessage);
  // An event (seq already given) to every member, then to the tap.
  void fanOut(const RoomEventPtr& event, const nlohmann::json& object);
  int64_t nextSeq() { return ++seq_; }

  // The online count (R11): pushed when the rule says so; a change held back
  // is looked at again through the room's tick.
  void pushOnlineCount(int64_t nowMs);

  // The clock of the stream of the same key (S1): every event gets a "streamTime"
  // while it gives one. Set through the RoomRegistry's sidechannel.
  using StreamClock = std::function<std::optional<int64_t>()>;
  void setStreamClock(StreamClock clock) { streamClock_ = std::move(clock); }
  std::optional<int64_t> streamNow() const;
  // Sees every room event (seq > 0) as it is fanned out: the sidechannel's feed,
  // with the JSON object the event's text was written from.
  using EventTap = std::function<void(const RoomEventPtr&, const nlohmann::json& object)>;
  void setEventTap(EventTap tap) { eventTap_ = std::move(tap); }

 private:
  struct Slot {
    size_t position;
    uint64_t token;
  };

  RoomContext& ctx_;
  OnlineCountPusher pusher_;
  int64_t seq_ = 0;
  size_t peak_ = 0;
  uint64_t nextToken_ = 1;
  std::vector<Member*> list_;  // fan-out order; holes (nullptr) while fanning out
  std::unordered_map<Member*, Slot> index_;
  std::unordered_map<uint64_t, Member*> byToken_;
  bool fanningOut_ = false;
  bool holes_ = false;
  std::deque<Recent> recent_;  // newest first
  StreamClock streamClock_;
  EventTap eventTap_;
};

}  // namespace room
