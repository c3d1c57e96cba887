// RoomDelivery: how a room's messages reach its members (R6, R10, R14): through
// the priority rate limit, stamped with the sender's role and level, the stream
// time of acceptance and, at delivery, the room's seq; then fanned out, told to
// the backend's after-send hook and kept in the history. A sender always sees
// its own message, even one the limit dropped. Owned by a Room; loop thread.
#pragma once

#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "room/priority_rate_limiter.hpp"
#include "room/room_context.hpp"
#include "room/room_engagement.hpp"
#include "room/room_members.hpp"

namespace room {

class RoomDelivery {
 public:
  static constexpr int64_t kHistoryMaxAgeMs = 24 * 3600 * 1000;
  using History = std::deque<std::pair<int64_t, nlohmann::json>>;  // (time, message event)

  RoomDelivery(RoomContext& ctx, RoomMembers& members, const RoomEngagement& engagement);

  // Offers `message` to the rate limit, stamped now with a new id;
  // `senderToken` (0: none) is the member connection that sees it even if the
  // limit drops it.
  Accepted offer(uint64_t senderToken, ChatMessage message);
  // Delivers what the limit lets through at `nowMs` and drops what it gives up.
  void tick(int64_t nowMs);
  int64_t nextDueMs(int64_t nowMs) const { return limiter_.nextDueMs(nowMs); }

  // Revokes a delivered message (R14: media allowed at once, checked later):
  // members get a "revoke" event to hide it, and it leaves the history.
  // Returns whether it was in the history.
  bool revoke(const std::string& msgId);
  const History& history() const { return history_; }  // oldest first

  void setRate(double perSecond) { limiter_.setRate(perSecond); }
  double rate() const { return limiter_.rate(); }

 private:
  struct Pending {
    std::string msgId;
    int64_t timeMs;
    uint64_t senderToken;  // 0: no member sender
    ChatMessage message;
    std::optional<int64_t> streamTimeMs;  // when accepted
  };

  nlohmann::json messageJson(const Pending& p, int64_t seq) const;
  RoomEventPtr messageEvent(const Pending& p, const nlohmann::json& object) const;
  void deliver(Pending p);
  void echoDropped(const Pending& p);

  RoomContext& ctx_;
  RoomMembers& members_;
  const RoomEngagement& engagement_;
  PriorityRateLimiter<Pending> limiter_;
  std::mt19937 rng_;
  History history_;
};

}  // namespace room
