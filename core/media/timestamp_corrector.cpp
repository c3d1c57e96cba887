#include "core/media/timestamp_corrector.hpp"

#include <algorithm>

namespace core {
namespace {
// NOTE: audio and video interleave with small skews (tens of ms); only a rewind
// larger than this is treated as a source discontinuity.
constexpr int64_t kMaxInterleaveSkewMs = 1000;
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
    lastIn_ = in;
    started_ = everStarted_ = true;
    std::fill(std::begin(lastOutByKind_), std::end(lastOutByKind_), INT64_MIN);
  }
  const int64_t in = extend(rawTimestamp);
  const int64_t delta = in - lastIn_;
  if (delta > jumpMs_ || delta < -kMaxInterleaveSkewMs) {
    result.discontinuity = delta;
    offset_ = lastOut_ + kContinueStepMs - in;
  }
  lastIn_ = in;

  int64_t out = in + offset_;
  auto& lastOfKind = lastOutByKind_[static_cast<int>(kind)];
  if (out < lastOfKind) out = lastOfKind;  // each track stays monotonic
  lastOfKind = out;
  lastOut_ = std::max(lastOut_, out);
  result.dts = out;
  return result;
}

}  // namespace core
