// SlowViewerMonitor: whether one WHEP viewer keeps up with the video, from what it
// tells us (NACKed sequence numbers, RTCP receiver reports' fraction lost) and what
// the kernel refused to send, per window; a viewer behind for a few windows gets
// keyframes only until it is clean for a few more. Pure policy, no I/O; owned by
// the viewer's VideoGate; loop thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace webrtc {

class SlowViewerMonitor {
 public:
  struct Options {
    // A window's loss: its packets that never reached the viewer (NACKed, refused by
    // the kernel) over the packets sent, or the worst RR fraction lost in it.
    double enterLoss = 0.15;  // this much loss ...
    int enterWindows = 2;     // ... for this many windows in a row: keyframes only
    double leaveLoss = 0.03;  // below this ...
    int leaveWindows = 4;     // ... for this many windows in a row: full video again
    // A window with fewer video packets sent judges by RR only (a lost packet of
    // three is noise, not a slow viewer).
    size_t minPackets = 20;
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
  // Sequence numbers of video the viewer asked again (a generic NACK's list).
  void onNacked(size_t seqs);
  // A report block about our video (fractionLost in 1/256).
  void onReceiverReport(uint8_t fractionLost);
  // Ends the window (the caller's timer, about once a second): what changed.
  Change endWindow();

  bool keyframesOnly() const { return keyframesOnly_; }
  const Stats& stats() const { return stats_; }

 private:
  Options options_;
  size_t sent_ = 0, lost_ = 0;  // this window
  int worstReport_ = -1;        // this window's highest RR fraction lost; -1: none
  int behindRun_ = 0, cleanRun_ = 0;
  bool keyframesOnly_ = false;
  Stats stats_;
};

}  // namespace webrtc
