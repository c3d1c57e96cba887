#include "core/media/timestamp_corrector.hpp"

#include <algorithm>

namespace core {
namespace {
// A rewind within one track larger than this is a source discontinuity; smaller
// ones are clamped (the track stays monotonic).
constexpr int64_t kMaxRewindMs = 500;
// The step used to continue the clock after a discontinuity or a new publisher.
constexpr int64_t kContinueStepMs = 1;
}  // namespace

int64_t TimestampCorrector::extend(uint32_t raw) {
  // A backwards step of more than half the range is a 32-bit wrap, not a rewind.
  if (started_) {
    if (raw < lastRaw_ && lastRaw_ - raw > 0x80000000u) extendedBase_ += int64_t{1} << 32;
    if (raw > lastRaw_ && raw - lastRaw_ > 0x80000000u) extendedBase_ -= int64_t{1} << 32;
  }
  lastRaw_ = raw;
  return extendedBase_ + raw;
}

TimestampCorrector::Result TimestampCorrector::correct(MediaKind kind, uint32_t rawTimestamp) {
  Result result{0, std::nullopt};
  if (!started_) {
    extendedBase_ = 0;
    lastRaw_ = rawTimestamp;
    const int64_t in = rawTimestamp;
    offset_ = everStarted_ ? lastOut_ + kContinueStepMs - in : 0;
    started_ = everStarted_ = true;
    std::fill(std::begin(lastOutByKind_), std::end(lastOutByKind_), INT64_MIN);
    std::fill(std::begin(lastInByKind_), std::end(lastInByKind_), INT64_MIN);
  }
  const int64_t in = extend(rawTimestamp);
  // NOTE: jumps are judged within one track: audio and video may run with a
  // steady skew between them, which is not a discontinuity.
  auto& lastIn = lastInByKind_[static_cast<int>(kind)];
  if (lastIn != INT64_MIN) {
    const int64_t delta = in - lastIn;
    if (delta > jumpMs_ || delta < -kMaxRewindMs) {
      result.discontinuity = delta;
      offset_ = lastOut_ + kContinueStepMs - in;
    }
  }
  lastIn = in;

  int64_t out = in + offset_;
  auto& lastOfKind = lastOutByKind_[static_cast<int>(kind)];
  if (out < lastOfKind) out = lastOfKind;  // each track stays monotonic
  lastOfKind = out;
  lastOut_ = std::max(lastOut_, out);
  result.dts = out;
  return result;
}

}  // namespace core
