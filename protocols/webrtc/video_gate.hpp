// VideoGate: which of the stream's video frames one WHEP viewer gets, and how its
// picture-loss requests (PLI/FIR) are answered: from the viewer's cached keyframe
// (the latest one of the stream, resent at once) or by asking the source, at most
// once per answer gap. The decoder must never get a delta frame whose references it
// lacks: after a resent keyframe that delta frames had followed, and while the
// viewer is too slow (SlowViewerMonitor: keyframes only), delta frames wait for the
// next keyframe of the source. Pure policy, no I/O; owned by WhepSession; loop thread.
#pragma once

#include <cstdint>
#include <optional>

#include "protocols/webrtc/slow_viewer_monitor.hpp"

namespace webrtc {

class VideoGate {
 public:
  struct Options {
    // At most one answer (a resend or a request) per this long; the requests in
    // between are ignored (a PLI storm does not resend the keyframe 100 times a second).
    int64_t answerGapMs = 500;
    // A cached keyframe further behind the newest frame than this (a long GOP) is
    // still resent, and the source is asked for a fresh one too.
    int64_t maxCachedAgeMs = 2000;
    SlowViewerMonitor::Options slow;
  };
  enum class LossAnswer { Ignore, ResendCached, ResendCachedAndRequest, RequestSource };
  struct Stats {
    uint64_t pictureLosses = 0;   // PLI/FIR heard
    uint64_t fromCache = 0;       // answered with the cached keyframe
    uint64_t sourceRequests = 0;  // answered by asking the source
    uint64_t ignored = 0;         // within the answer gap
    uint64_t deltasHeld = 0;      // delta frames not sent: references missing
    uint64_t deltasSkipped = 0;   // delta frames not sent: keyframes only
  };

  VideoGate() : VideoGate(Options{}) {}
  explicit VideoGate(Options options) : options_(options), monitor_(options.slow) {}

  // A video frame of the stream, in order: true if it goes to the viewer. A
  // keyframe always does.
  bool admit(bool keyframe);
  // A PLI or FIR at nowMs. cachedAgeMs: how far the cached keyframe is behind the
  // newest frame (media time); nullopt: none cached. The caller does what it says.
  LossAnswer onPictureLoss(int64_t nowMs, std::optional<int64_t> cachedAgeMs);
  // The loss window ended (about once a second): keyframes only from now, or again
  // full video from the next keyframe.
  SlowViewerMonitor::Change endWindow();
  // The stream starts over (a new publisher): delta frames wait for a keyframe.
  void restart();

  SlowViewerMonitor& monitor() { return monitor_; }
  const SlowViewerMonitor& monitor() const { return monitor_; }
  bool keyframesOnly() const { return monitor_.keyframesOnly(); }
  const Stats& stats() const { return stats_; }

 private:
  Options options_;
  SlowViewerMonitor monitor_;
  bool deltasOk_ = false;        // the decoder holds every reference of the next delta
  uint64_t deltasSinceKey_ = 0;  // delta frames sent since the last keyframe sent
  std::optional<int64_t> lastAnswerMs_;
  Stats stats_;
};

}  // namespace webrtc
