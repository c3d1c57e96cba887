// TimestampCorrector: maps a publisher's timestamps (64-bit ms, already extended by
// its protocol) onto the Stream's monotonic clock. Owned by a Stream; loop thread.
// Smooths jumps forward and rewinds (reported to the caller through the result),
// keeps each track monotonic and lets a new publisher continue where the last one
// stopped; in passthrough mode it only clamps rewinds.
#pragma once

#include <cstdint>
#include <optional>

#include "core/packet/media_packet.hpp"

namespace core {

class TimestampCorrector {
 public:
  enum class Mode : uint8_t {
    Smooth,       // jumps smoothed, a new publisher continues the clock
    Passthrough,  // timestamps kept exactly; a rewind within a track is clamped
  };
  struct Result {
    int64_t dts;
    // Set when the source jumped by more than the threshold: the raw delta (ms).
    std::optional<int64_t> discontinuity;
  };

  explicit TimestampCorrector(int64_t jumpThresholdMs, Mode mode = Mode::Smooth)
      : jumpMs_(jumpThresholdMs), mode_(mode) {}

  // Passthrough suits a stream whose producer already keeps the source's clock
  // (a derived stream): its pts must stay the source's, republish or not.
  void setMode(Mode mode) { mode_ = mode; }
  Mode mode() const { return mode_; }
  // A new publisher: its first timestamp continues the clock just after the last one
  // (Smooth; in Passthrough only the per-track clamps carry over).
  void restart() { started_ = false; }
  Result correct(MediaKind kind, int64_t timestamp);
  int64_t lastDts() const { return lastOut_; }

 private:
  void start(int64_t first);

  int64_t jumpMs_;
  Mode mode_;
  bool started_ = false;
  bool everStarted_ = false;
  int64_t offset_ = 0;  // out = in + offset
  int64_t lastOut_ = 0;
  int64_t lastOutByKind_[3] = {INT64_MIN, INT64_MIN, INT64_MIN};
  int64_t lastInByKind_[3] = {INT64_MIN, INT64_MIN, INT64_MIN};  // input per track
};

}  // namespace core
