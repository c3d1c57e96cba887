// UserLevel: a member's level in a room from weighted stats (R9) — minutes online,
// messages sent, likes and gifts given, membership — and the room's popularity
// from its own weighted stats. Pure rules, no I/O; owned by a Room's options.
#pragma once

#include <cstdint>
#include <vector>

namespace room {

struct UserStats {
  int64_t onlineMs = 0;  // finished presences
  int64_t onlineSinceMs = 0;
  int connections = 0;  // open now
  int64_t messages = 0;
  int64_t likes = 0;
  int64_t gifts = 0;
  bool member = false;  // membership flag, set by the API
  int64_t onlineNowMs(int64_t nowMs) const {
    return onlineMs + (connections > 0 ? nowMs - onlineSinceMs : 0);
  }
};

struct LevelRule {
  int64_t perOnlineMinute = 1;
  int64_t perMessage = 2;
  int64_t perLike = 1;
  int64_t perGift = 10;
  int64_t membership = 100;
  std::vector<int64_t> thresholds{10, 50, 200, 1000, 5000};  // strictly increasing

  int64_t score(const UserStats& s, int64_t nowMs) const {
    return perOnlineMinute * (s.onlineNowMs(nowMs) / 60000) + perMessage * s.messages +
           perLike * s.likes + perGift * s.gifts + (s.member ? membership : 0);
  }
  // 0 .. thresholds.size(): how many thresholds the score reached.
  int level(int64_t score) const {
    int n = 0;
    for (int64_t t : thresholds)
      if (score >= t) ++n;
    return n;
  }
};

struct PopularityRule {
  int64_t perOnline = 10;
  int64_t perMessage = 1;
  int64_t perLike = 1;
  int64_t perGift = 5;

  int64_t score(int64_t online, int64_t messages, int64_t likes, int64_t gifts) const {
    return perOnline * online + perMessage * messages + perLike * likes + perGift * gifts;
  }
};

}  // namespace room
