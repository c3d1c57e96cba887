// GiftStreaks: merges running gift combos (R7). Clicks of one gift by one user
// add up; the streak is flushed as one message every `flushEvery` gifts and when
// the user pauses `pauseMs`, so 99 clicks in a row become 5 messages (20, 20, 20,
// 20, 19). LikeWindow: likes of a room summed over a window (R8) into one message.
// Owned by a Room; loop thread; pure (the caller passes the time).
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "room/chat_message.hpp"

namespace room {

class GiftStreaks {
 public:
  struct Flush {
    Sender from;
    std::string gift;
    int64_t count = 0;
  };

  GiftStreaks(int64_t flushEvery, int64_t pauseMs) : flushEvery_(flushEvery), pauseMs_(pauseMs) {}

  // One click of `count` gifts; returns a flush when the streak reached flushEvery.
  std::optional<Flush> click(const Sender& from, const std::string& gift, int64_t count,
                             int64_t nowMs) {
    Streak& s = streaks_[{from.id, gift}];
    s.from = from;
    s.count += count;
    s.lastMs = nowMs;
    if (s.count < flushEvery_) return std::nullopt;
    Flush out{s.from, gift, s.count};
    streaks_.erase({from.id, gift});
    return out;
  }

  // The streaks whose user paused long enough, oldest key first.
  std::vector<Flush> expire(int64_t nowMs) {
    std::vector<Flush> out;
    for (auto it = streaks_.begin(); it != streaks_.end();) {
      if (nowMs - it->second.lastMs >= pauseMs_) {
        out.push_back({it->second.from, it->first.second, it->second.count});
        it = streaks_.erase(it);
      } else {
        ++it;
      }
    }
    return out;
  }

  // When expire() next has something to flush; -1 if nothing runs.
  int64_t nextDueMs() const {
    int64_t due = -1;
    for (const auto& [key, s] : streaks_)
      due = due < 0 ? s.lastMs + pauseMs_ : std::min(due, s.lastMs + pauseMs_);
    return due;
  }

 private:
  struct Streak {
    Sender from;
    int64_t count = 0;
    int64_t lastMs = 0;
  };

  int64_t flushEvery_;
  int64_t pauseMs_;
  std::map<std::pair<std::string, std::string>, Streak> streaks_;  // (user, gift)
};

class LikeWindow {
 public:
  explicit LikeWindow(int64_t windowMs) : windowMs_(windowMs) {}

  void add(const std::string& user, int64_t count, int64_t nowMs) {
    if (sum_ == 0) startMs_ = nowMs;
    sum_ += count;
    if (std::find(users_.begin(), users_.end(), user) == users_.end() && users_.size() < 1000)
      users_.push_back(user);
  }
  // The window's sum and distinct likers, if the window is over.
  std::optional<std::pair<int64_t, size_t>> take(int64_t nowMs) {
    if (sum_ == 0 || nowMs - startMs_ < windowMs_) return std::nullopt;
    auto out = std::make_pair(sum_, users_.size());
    sum_ = 0;
    users_.clear();
    return out;
  }
  int64_t nextDueMs() const { return sum_ == 0 ? -1 : startMs_ + windowMs_; }

 private:
  int64_t windowMs_;
  int64_t sum_ = 0;
  int64_t startMs_ = 0;
  std::vector<std::string> users_;
};

}  // namespace room
