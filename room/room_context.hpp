// RoomOptions: one room's limits and rules. RoomContext: what the parts of one
// Room share (its loop, id, owner, options, message ids, hooks, counters and its
// one tick). Owned by the Room, referenced by its parts; loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/loop/event_loop.hpp"
#include "room/chat_message.hpp"
#include "room/online_count_pusher.hpp"
#include "room/room_hooks.hpp"
#include "room/user_level.hpp"

namespace room {

struct RoomOptions {
  double rateLimit = 40;  // deliveries per second
  size_t history = 0;     // 0 = off; else the last N messages younger than 24 h
  size_t recentMembers = 30;
  size_t enterLeaveMaxMembers = 500;  // above: no enter/leave events
  OnlineCountPusher::Options online;
  int64_t giftFlushEvery = 20;  // a running gift streak is flushed every N gifts...
  int64_t giftPauseMs = 1000;   // ...and after this pause (R7)
  int64_t likeWindowMs = 1000;  // likes are summed over this window (R8)
  LevelRule level;              // R9
  PopularityRule popularity;
  size_t maxUserStats = 100000;  // users a room keeps stats for (guests never)
};

struct RoomCounters {
  uint64_t accepted = 0;     // offered to the rate limit
  uint64_t delivered = 0;    // fanned out
  uint64_t rateDropped = 0;  // accepted, then dropped by the rate limit
  uint64_t rejected = 0;     // refused with an error
  uint64_t filtered = 0;     // masked or refused by the word filter, or dropped by the backend
};

// A message the room took: its id and server time (the sender's reply).
struct Accepted {
  std::string msgId;
  int64_t timeMs = 0;
};

struct RoomContext {
  core::EventLoop& loop;
  std::string id;
  std::string owner;
  RoomOptions options;
  std::function<std::string()> nextMessageId;   // server-unique message ids
  std::function<void(int64_t dueMs)> schedule;  // the room's tick at loop time dueMs
  RoomHooks* hooks = nullptr;                   // the backend's (not owned; may be null)
  RoomCounters counters;
  int64_t createdMs = 0;  // wall clock

  int64_t nowMs() const { return static_cast<int64_t>(loop.nowMs()); }  // loop time
  // The role `who` has in this room: its owner is Owner (unless a guest).
  MemberRole roleOf(const Sender& who) const {
    if (!owner.empty() && who.id == owner && who.role != MemberRole::Guest)
      return MemberRole::Owner;
    return who.role;
  }
};

}  // namespace room
