// TimestampCorrector: maps a publisher's 32-bit RTMP timestamps onto the Stream's
// 64-bit, monotonic clock. Owned by a Stream; loop thread. Handles 32-bit
// wrap-around, jumps forward and rewinds (logged by the caller through the
// returned event), and a new publisher continuing where the last one stopped.
#pragma once

#include <cstdint>
#include <optional>

#include "core/packet/media_packet.hpp"

namespace core {

class TimestampCorrector {
 public:
  struct Result {
    int64_t dts;
    // Set when the source jumped by more than the threshold: the raw delta (ms).
    std::optional<int64_t> discontinuity;
  };

  explicit TimestampCorrector(int64_t jumpThresholdMs) : jumpMs_(jumpThresholdMs) {}

  // A new publisher: its first timestamp continues the clock just after the last one.
  void restart() { started_ = false; }
  Result correct(MediaKind kind, uint32_t rawTimestamp);
  int64_t lastDts() const { return lastOut_; }

 private:
  int64_t extend(uint32_t raw);

  int64_t jumpMs_;
  bool started_ = false;
  bool everStarted_ = false;
  uint32_t lastRaw_ = 0;
  int64_t extendedBase_ = 0;  // multiples of 2^32 added by wrap-around
  int64_t offset_ = 0;        // out = in + offset
  int64_t lastOut_ = 0;
  int64_t lastOutByKind_[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
  int64_t lastInByKind_[3] = {INT64_MIN, INT64_MIN, INT64_MIN};  // extended input per track
};

}  // namespace core
