#include "mixer/audio_clock.hpp"

#include <cmath>
#include <cstdlib>

namespace mixer {

namespace {

// round(count * 1000 / rate) for either sign, exact for hours of samples.
int64_t samplesToMs(int64_t count, int rate) {
  return std::llround(static_cast<double>(count) * 1000.0 / rate);
}

}  // namespace

AudioClock::AudioClock(int inRate, int outRate)
    : inRate_(inRate > 0 ? inRate : 1), outRate_(outRate > 0 ? outRate : 1) {}

bool AudioClock::input(int64_t ptsMs, int64_t samples) {
  bool anchor = anchors_.empty();
  if (!anchor && ptsMs != kNoPts) {
    int64_t expected = inAnchorMs_ + samplesToMs(inSamples_ - inAnchorSamples_, inRate_);
    anchor = std::llabs(ptsMs - expected) > kResyncMs;
    if (anchor) ++resyncs_;
  }
  if (anchor) {
    if (ptsMs == kNoPts) ptsMs = 0;
    inAnchorSamples_ = inSamples_;
    inAnchorMs_ = ptsMs;
    // NOTE: the resampler keeps the ratio of sample counts, so input sample n comes
    // out as output sample n * outRate / inRate (its filter delay is < 1 ms).
    int64_t outIndex = std::llround(static_cast<double>(inSamples_) * outRate_ / inRate_);
    anchors_.push_back({outIndex, ptsMs});
  }
  inSamples_ += samples > 0 ? samples : 0;
  return anchor;
}

int64_t AudioClock::output(int64_t index) {
  while (anchors_.size() > 1 && anchors_[1].outIndex <= index) anchors_.pop_front();
  int64_t ms = 0;
  if (!anchors_.empty())
    ms = anchors_.front().ms + samplesToMs(index - anchors_.front().outIndex, outRate_);
  if (anyOut_ && ms <= lastOut_) ms = lastOut_ + 1;
  lastOut_ = ms;
  anyOut_ = true;
  return ms;
}

}  // namespace mixer
