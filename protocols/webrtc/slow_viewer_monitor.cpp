#include "protocols/webrtc/slow_viewer_monitor.hpp"

#include <algorithm>

namespace webrtc {

void SlowViewerMonitor::onSent(size_t packets) {
  sent_ += packets;
  stats_.sent += packets;
}

void SlowViewerMonitor::onSendDropped(size_t packets) {
  lost_ += packets;
  stats_.sendDropped += packets;
}

void SlowViewerMonitor::onNacked(size_t seqs) {
  lost_ += seqs;
  stats_.nacked += seqs;
}

void SlowViewerMonitor::onReceiverReport(int32_t cumulativeLost, uint32_t extendedHighestSeq) {
  report_ = ReportPoint{cumulativeLost, extendedHighestSeq};
  if (!start_) start_ = report_;
}

SlowViewerMonitor::Change SlowViewerMonitor::endWindow() {
  const double ratio = sent_ > 0
                           ? std::min(1.0, static_cast<double>(lost_) / static_cast<double>(sent_))
                           : (lost_ > 0 ? 1.0 : 0.0);
  double report = 0;
  int64_t expected = 0;
  if (report_ && start_) {
    expected = report_->highest - start_->highest;
    if (expected > 0)
      report = std::clamp(
          static_cast<double>(report_->lost - start_->lost) / static_cast<double>(expected), 0.0,
          1.0);
  }
  // NOTE: a window of few packets (keyframes only: one keyframe a GOP) cannot say
  // the viewer is behind, but any loss in it keeps it from counting as clean.
  const auto enough = static_cast<int64_t>(options_.minPackets);
  const double behindLoss =
      std::max(sent_ >= options_.minPackets ? ratio : 0.0, expected >= enough ? report : 0.0);
  const double loss = std::max(report, ratio);
  stats_.lastLoss = loss;
  sent_ = lost_ = 0;
  start_ = report_;
  if (behindLoss >= options_.enterLoss) {
    ++stats_.windowsBehind;
    ++behindRun_;
    cleanRun_ = 0;
  } else {
    behindRun_ = 0;
    cleanRun_ = loss < options_.leaveLoss ? cleanRun_ + 1 : 0;
  }
  if (!keyframesOnly_ && behindRun_ >= options_.enterWindows) {
    keyframesOnly_ = true;
    cleanRun_ = 0;
    ++stats_.entered;
    return Change::Entered;
  }
  if (keyframesOnly_ && cleanRun_ >= options_.leaveWindows) {
    keyframesOnly_ = false;
    behindRun_ = 0;
    return Change::Left;
  }
  return Change::None;
}

}  // namespace webrtc
