// RoomEngagement: what a room counts of its users (R7, R8, R9): gifts the backend
// billed (streak clicks merged by GiftStreaks), likes (summed per window by
// LikeWindow), each user's stats and level, and the room's popularity. It never
// sends: it hands the Room the messages to send. Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "room/gift_streaks.hpp"
#include "room/room_context.hpp"
#include "room/room_members.hpp"
#include "room/user_level.hpp"

namespace room {

class RoomEngagement {
 public:
  RoomEngagement(RoomContext& ctx, RoomMembers& members);

  // A connection of `who` joined / left; disconnected() tells whether it was the
  // user's last one (always for users without stats: guests).
  void connected(const Sender& who);
  bool disconnected(const Sender& who);
  // A member's message counts toward its level.
  void countMessage(const Sender& from);

  // A gift the backend billed (R7): an explicit count is one High message to send
  // now; `streak` clicks of (user, gift) merge, the giver's connections seeing
  // each click at once: the message comes when the streak is full (now) or
  // paused (takeDue). Totals count every gift.
  std::optional<ChatMessage> gift(const Sender& from, const std::string& gift, int64_t count,
                                  bool streak);
  // Likes (R8): counted at once (exact, before any rate limit), delivered as one
  // Low message per window with the sum (takeDue). Returns the room's like total.
  int64_t like(const Sender& from, int64_t count);
  // The paused gift streaks and the finished like window, as messages to send.
  std::vector<ChatMessage> takeDue(int64_t nowMs);
  int64_t nextDueMs() const;  // -1: nothing waits

  int64_t likes() const { return likeTotal_; }
  int64_t gifts() const { return giftTotal_; }
  const std::map<std::string, int64_t>& giftsById() const { return giftsById_; }
  // The `top` biggest givers (user, gifts), biggest first.
  std::vector<std::pair<std::string, int64_t>> topGivers(size_t top) const;

  // Levels and popularity (R9).
  int levelOf(const std::string& user) const;
  UserStats statsOf(const std::string& user) const;  // zero when unknown
  void setMembership(const std::string& user, bool member);
  int64_t popularity() const;

 private:
  UserStats* statsFor(const Sender& who);  // null: a guest, or the bound is reached
  void previewClick(const Sender& from, const std::string& gift, int64_t count);

  RoomContext& ctx_;
  RoomMembers& members_;
  std::unordered_map<std::string, UserStats> stats_;
  GiftStreaks streaks_;
  LikeWindow likeWindow_;
  int64_t likeTotal_ = 0;
  int64_t giftTotal_ = 0;
  std::map<std::string, int64_t> giftsById_;
  std::unordered_map<std::string, int64_t> givers_;  // user -> gifts given
};

}  // namespace room
