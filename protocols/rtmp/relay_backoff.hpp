// RelayBackoff: when a relay tries its target again after a failure: the first
// delay, doubled after each failure up to a cap, and back to the first once a
// connection kept publishing long enough. Owned by one RtmpRelay; pure policy.
#pragma once

#include <cstdint>

namespace rtmp {

class RelayBackoff {
 public:
  struct Schedule {
    int64_t firstMs;
    int64_t maxMs;
    int64_t resetAfterMs;  // publishing this long forgets earlier failures
  };
  // The schedule of the issue: 1 s doubling to 30 s, reset after a minute.
  static constexpr Schedule kDefaultSchedule{1000, 30000, 60000};

  explicit RelayBackoff(Schedule schedule = kDefaultSchedule) : schedule_(schedule) {}

  // The target accepted the publish at `nowMs`.
  void published(int64_t nowMs) { publishedAtMs_ = nowMs; }
  // An attempt or a connection failed at `nowMs`: the delay before the next attempt.
  int64_t failed(int64_t nowMs);
  // Forget every failure (the relay starts over, e.g. its source came back).
  void reset() {
    failures_ = 0;
    publishedAtMs_ = -1;
  }
  // Failures in a row since the last reset.
  int failures() const { return failures_; }

 private:
  Schedule schedule_;
  int failures_ = 0;
  int64_t publishedAtMs_ = -1;  // -1: not publishing
};

}  // namespace rtmp
