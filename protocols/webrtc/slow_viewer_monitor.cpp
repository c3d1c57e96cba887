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
  // NOTE: a viewer may ask for a seq again (its retry after a lost resend): each ask
  // counts, which only makes a lossy path look lossier, as it is.
  lost_ += seqs;
  stats_.nacked += seqs;
}

void SlowViewerMonitor::onReceiverReport(uint8_t fractionLost) {
  worstReport_ = std::max(worstReport_, static_cast<int>(fractionLost));
}

SlowViewerMonitor::Change SlowViewerMonitor::endWindow() {
  const double report = worstReport_ >= 0 ? worstReport_ / 256.0 : 0.0;
  const double ratio = sent_ > 0
                           ? std::min(1.0, static_cast<double>(lost_) / static_cast<double>(sent_))
                           : (lost_ > 0 ? 1.0 : 0.0);
  // NOTE: a window of few packets (keyframes only: one keyframe a GOP) is judged
  // "behind" by the viewer's report alone (one lost packet of three is noise), but
  // any loss in it keeps it from counting as clean.
  const double behindLoss = sent_ >= options_.minPackets ? std::max(report, ratio) : report;
  const double loss = std::max(report, ratio);
  stats_.lastLoss = loss;
  sent_ = lost_ = 0;
  worstReport_ = -1;
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
