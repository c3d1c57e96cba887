// RembEstimator: the bit rate a WHIP publisher is told it may send (REMB,
// draft-alvestrand-rmcat-remb). Starts at the configured maximum and is lowered only
// from what arrives: the received rate and loss of the last second. One per WHIP
// session, owned by it; loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "protocols/webrtc/seq_math.hpp"

namespace webrtc {

class RembEstimator {
 public:
  static constexpr uint64_t kMinBps = 50000;       // never advertise less than this
  static constexpr double kHighLoss = 0.10;        // above: 0.85 x the received rate
  static constexpr double kLowLoss = 0.02;         // below: back up by 8 %/s
  static constexpr double kDecreaseFactor = 0.85;  // Google's receive-side rule
  static constexpr double kIncreasePerSecond = 1.08;
  static constexpr uint64_t kMinExpected = 10;  // fewer packets: loss not judged

  explicit RembEstimator(uint64_t maxBps);

  // Every RTP packet of the publisher as it arrives (before the jitter buffer; a
  // retransmission counts as received, as in a receiver report).
  void onPacket(uint32_t ssrc, uint16_t seq, size_t bytes, int64_t nowMs);
  // Closes the interval since the last update and recomputes the estimate from it and
  // the one before (about the last second when called every 500 ms).
  void update(int64_t nowMs);

  uint64_t estimateBps() const { return estimateBps_; }
  uint64_t receivedBps() const { return receivedBps_; }
  double loss() const { return loss_; }  // 0..1, over the last update's window

 private:
  struct Source {
    uint32_t ssrc = 0;
    SeqUnwrapper seqs;
    int64_t base = 0;  // the highest unwrapped seq at the interval's start
    uint64_t received = 0;
  };
  struct Interval {
    int64_t ms = 0;
    uint64_t bytes = 0, expected = 0, received = 0;
  };
  Interval takeInterval(int64_t nowMs);
  void judge(const Interval& window, int64_t stepMs);

  // passed in
  uint64_t maxBps_;
  // owned
  std::vector<Source> sources_;  // audio and video: two, a few at most
  uint64_t bytes_ = 0;
  std::optional<int64_t> intervalStartMs_;
  Interval previous_;
  uint64_t estimateBps_;
  uint64_t receivedBps_ = 0;
  double loss_ = 0;
};

}  // namespace webrtc
