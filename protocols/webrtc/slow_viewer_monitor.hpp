// SlowViewerMonitor: whether one WHEP viewer keeps up with the video, from what it
// tells us (NACKed sequence numbers, RTCP receiver reports' cumulative loss) and
// what the kernel refused to send, per window; a viewer behind for a few windows gets
// keyframes only until it is clean for a few more. Pure policy, no I/O; owned by
// the viewer's VideoGate; loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace webrtc {

class SlowViewerMonitor {
 public:
  struct Options {
    // A window's loss: its packets that did not reach the viewer (NACKed, refused by
    // the kernel) over the packets sent, or what its receiver reports say were lost
    // for good over the packets they expected, whichever is more.
    double enterLoss = 0.15;  // this much loss ...
    int enterWindows = 2;     // ... for this many windows in a row: keyframes only
    double leaveLoss = 0.03;  // below this ...
    int leaveWindows = 4;     // ... for this many windows in a row: full video again
    // A count over fewer packets than this is not enough to call the viewer slow (a
    // lost packet of three is noise).
    // (At 5 % random loss, 12 or more of 75 lost in two windows in a row is rare.)
    size_t minPackets = 50;
  };
  enum class Change { None, Entered, Left };
  struct Stats {
    uint64_t sent = 0, nacked = 0, sendDropped = 0;
    uint64_t windowsBehind = 0;  // windows at or over enterLoss
    uint64_t entered = 0;        // times the viewer went to keyframes only
    double lastLoss = 0;         // of the last window
  };

  SlowViewerMonitor() : SlowViewerMonitor(Options{}) {}
  explicit SlowViewerMonitor(Options options) : options_(options) {}

  // Video RTP packets sent (first transmissions), and those the kernel refused.
  void onSent(size_t packets = 1);
  void onSendDropped(size_t packets = 1);
  // Packets of video the viewer asked again (each once: WhepSession leaves out the
  // repeats of a NACK).
  void onNacked(size_t seqs);
  // A report block about our video: its cumulative number of packets lost and
  // extended highest sequence number (RFC 3550 6.4.1).
  // NOTE: not its fraction lost: a viewer sends an RR with each NACK, and the
  // fraction over such a short interval (1 of 8) says little.
  void onReceiverReport(int32_t cumulativeLost, uint32_t extendedHighestSeq);
  // Ends the window (the caller's timer, about once a second): what changed.
  Change endWindow();

  bool keyframesOnly() const { return keyframesOnly_; }
  const Stats& stats() const { return stats_; }

 private:
  Options options_;
  struct ReportPoint {
    int64_t lost = 0, highest = 0;
  };
  size_t sent_ = 0, lost_ = 0;                 // this window
  std::optional<ReportPoint> report_, start_;  // the newest report; the one at the window's start
  int behindRun_ = 0, cleanRun_ = 0;
  bool keyframesOnly_ = false;
  Stats stats_;
};

}  // namespace webrtc
