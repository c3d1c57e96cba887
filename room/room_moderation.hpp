// RoomModeration: who may speak and who may enter (R12, R13): mutes of users and
// of the whole room, kicks with a ban. Kept by user id, so they survive leaving
// and rejoining; times are wall-clock ms, kForever never ends; every change is
// told to the room at once. Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "room/room_context.hpp"
#include "room/room_members.hpp"

namespace room {

class RoomModeration {
 public:
  static constexpr int64_t kForever = INT64_MAX;

  RoomModeration(RoomContext& ctx, RoomMembers& members);

  // seconds 0 lifts; >= 4294967295 (the IM's "forever") never ends.
  void mute(const std::string& user, int64_t seconds);
  void muteAll(bool on);
  bool mutedAll() const { return mutedAll_; }
  bool muted(const std::string& user) const;
  // 10017 when `who` may not send now (muted, or the room is and who is no admin).
  RoomError checkSend(const Sender& who) const;
  // 10007 when `who` is banned (checked before join).
  RoomError checkJoin(const Sender& who) const;

  // Bans `user` for `banSeconds` (0: forever); returns until when.
  int64_t ban(const std::string& user, int64_t banSeconds);
  // Tells the kicked user's connections (already removed from the room) and then
  // the room that `user` was kicked.
  void announceKick(const std::string& user, const std::string& reason, int64_t until,
                    const std::vector<Member*>& gone);
  bool unban(const std::string& user);

  // The mutes and bans in force: (user, until), in no particular order.
  std::vector<std::pair<std::string, int64_t>> mutes() const;
  std::vector<std::pair<std::string, int64_t>> bans() const;

 private:
  RoomContext& ctx_;
  RoomMembers& members_;
  bool mutedAll_ = false;
  std::unordered_map<std::string, int64_t> muted_;   // user -> until (wall ms)
  std::unordered_map<std::string, int64_t> banned_;  // user -> until (wall ms)
};

// kForever as JSON: null; else the wall-clock ms.
nlohmann::json untilJson(int64_t until);

}  // namespace room
