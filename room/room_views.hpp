// RoomViews: a room as its readers see it, in JSON: the join reply, the room's
// description and counters, recent members, history, mutes and bans, gifts, the
// lottery and a user's stats (docs/room-protocol.md). Reads only; a short-lived
// value over one Room; loop thread.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "room/chat_message.hpp"
#include "room/member.hpp"

namespace room {

class Room;

class RoomViews {
 public:
  explicit RoomViews(const Room& room) : room_(room) {}

  // The fields of a join reply: status, info, online, seq, history, mutes.
  nlohmann::json joinReply(const Member& member) const;
  nlohmann::json describe() const;
  nlohmann::json counters() const;
  // The recent joiners, newest first, of one role or all, at most `limit`.
  nlohmann::json members(std::optional<MemberRole> role, size_t limit) const;
  nlohmann::json history() const;  // oldest first, younger than 24 h
  nlohmann::json mutes() const;
  nlohmann::json bans() const;
  nlohmann::json gifts(size_t top) const;
  nlohmann::json lottery() const;
  nlohmann::json user(const std::string& user) const;

 private:
  // What both the join reply and the description show: status, info, online, mutedAll.
  nlohmann::json shown() const;

  const Room& room_;
};

}  // namespace room
