#include "protocols/webrtc/video_gate.hpp"

namespace webrtc {

bool VideoGate::admit(bool keyframe) {
  if (keyframe) {
    deltasOk_ = !monitor_.keyframesOnly();
    deltasSinceKey_ = 0;
    return true;
  }
  if (monitor_.keyframesOnly()) {
    ++stats_.deltasSkipped;
    return false;
  }
  if (!deltasOk_) {
    ++stats_.deltasHeld;
    return false;
  }
  ++deltasSinceKey_;
  return true;
}

VideoGate::LossAnswer VideoGate::onPictureLoss(int64_t nowMs, std::optional<int64_t> cachedAgeMs) {
  ++stats_.pictureLosses;
  if (lastAnswerMs_ && nowMs - *lastAnswerMs_ < options_.answerGapMs) {
    ++stats_.ignored;
    return LossAnswer::Ignore;
  }
  lastAnswerMs_ = nowMs;
  if (!cachedAgeMs) {
    ++stats_.sourceRequests;
    return LossAnswer::RequestSource;
  }
  ++stats_.fromCache;
  // NOTE: the resent keyframe restarts the viewer's decoder at the GOP's start. The
  // delta frames sent since the original refer to frames the viewer may have lost,
  // and the next ones refer to those: hold them until the source's next keyframe.
  // If none was sent since, the next delta refers only to that keyframe: go on.
  if (deltasSinceKey_ > 0) deltasOk_ = false;
  if (*cachedAgeMs > options_.maxCachedAgeMs) {
    ++stats_.sourceRequests;
    return LossAnswer::ResendCachedAndRequest;
  }
  return LossAnswer::ResendCached;
}

SlowViewerMonitor::Change VideoGate::endWindow() {
  const auto change = monitor_.endWindow();
  // Entered: admit() skips deltas now; Left: deltas resume at the next keyframe
  // (admit() sets deltasOk_ there), since the viewer lacks the ones skipped.
  if (change != SlowViewerMonitor::Change::None) deltasOk_ = false;
  return change;
}

void VideoGate::restart() {
  deltasOk_ = false;
  deltasSinceKey_ = 0;
}

}  // namespace webrtc
