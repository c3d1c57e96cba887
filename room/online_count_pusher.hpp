// OnlineCountPusher: when to push a room's online count to its members (R11): on
// a noticeable change — at least `minRelativeChange` of the last pushed value or
// `minAbsoluteChange` members — but at most once per `minIntervalMs`, and while
// the count keeps drifting by small steps, at least every `maxIntervalMs`.
// Not a fixed timer: a quiet room pushes nothing. Owned by a Room; loop thread; pure.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>

namespace room {

class OnlineCountPusher {
 public:
  struct Options {
    double minRelativeChange = 0.05;
    int64_t minAbsoluteChange = 10;
    int64_t minIntervalMs = 1000;
    int64_t maxIntervalMs = 30000;
  };

  explicit OnlineCountPusher(Options options) : options_(options) {}

  // The count now; returns the value to push, if one is due. Call it on every
  // change and from a periodic check (so a change held back by minIntervalMs or
  // a small drift still goes out).
  std::optional<int64_t> update(int64_t count, int64_t nowMs) {
    current_ = count;
    if (count == pushed_) return std::nullopt;
    const int64_t delta = std::llabs(count - pushed_);
    const bool noticeable =
        delta >= options_.minAbsoluteChange ||
        static_cast<double>(delta) >= options_.minRelativeChange * static_cast<double>(pushed_);
    const int64_t since = nowMs - lastPushMs_;
    const bool due =
        (noticeable && since >= options_.minIntervalMs) || since >= options_.maxIntervalMs;
    if (!due) return std::nullopt;
    pushed_ = count;
    lastPushMs_ = nowMs;
    return count;
  }

  int64_t current() const { return current_; }
  int64_t lastPushed() const { return pushed_; }

 private:
  Options options_;
  int64_t current_ = 0;
  int64_t pushed_ = 0;
  int64_t lastPushMs_ = INT64_MIN / 2;
};

}  // namespace room
