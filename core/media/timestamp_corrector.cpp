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

void TimestampCorrector::start(int64_t first) {
  started_ = true;
  if (mode_ == Mode::Passthrough) {
    // NOTE: no re-basing and the clamps stay: a republished derived stream carries
    // on with the source's clock, and its viewers never see it go back.
    offset_ = 0;
    everStarted_ = true;
    return;
  }
  offset_ = everStarted_ ? lastOut_ + kContinueStepMs - first : 0;
  everStarted_ = true;
  std::fill(std::begin(lastOutByKind_), std::end(lastOutByKind_), INT64_MIN);
  std::fill(std::begin(lastInByKind_), std::end(lastInByKind_), INT64_MIN);
}

TimestampCorrector::Result TimestampCorrector::correct(MediaKind kind, int64_t in) {
  Result result{0, std::nullopt};
  if (!started_) start(in);
  // NOTE: jumps are judged within one track: audio and video may run with a
  // steady skew between them, which is not a discontinuity.
  auto& lastIn = lastInByKind_[static_cast<int>(kind)];
  if (mode_ == Mode::Smooth && lastIn != INT64_MIN) {
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
