// RtcpStats: the receiver statistics of one received SSRC as the numbers of an RTCP
// report block (RFC 3550 §6.4.1, App. A.3 and A.8); the RTCP bytes are built elsewhere.
// One per ingest SSRC, owned by the WebRTC session; loop thread.
#pragma once

#include <cstdint>
#include <optional>

#include "protocols/webrtc/seq_math.hpp"

namespace webrtc {

class RtcpStats {
 public:
  struct Block {
    uint8_t fractionLost = 0;         // lost / expected since the last block, in 1/256
    int32_t cumulativeLost = 0;       // 24-bit signed (duplicates can make it negative)
    uint32_t extendedHighestSeq = 0;  // cycles << 16 | highest seq
    uint32_t jitter = 0;              // in RTP timestamp units
    uint32_t lsr = 0;                 // middle 32 bits of the last SR's NTP time; 0: none
    uint32_t dlsr = 0;                // since that SR arrived, in 1/65536 s; 0: none
  };

  explicit RtcpStats(uint32_t clockRate);

  // Every RTP packet of the SSRC as it arrives (before the jitter buffer: duplicates
  // and retransmissions count as received, as A.3 counts them).
  void onPacket(uint16_t seq, uint32_t rtpTimestamp, int64_t arrivalMs);
  // A sender report of the SSRC: its 64-bit NTP timestamp, and when it arrived.
  void onSenderReport(uint64_t ntp, int64_t arrivalMs);
  // The block of the RR sent at nowMs; starts the next interval of fractionLost.
  // nullopt until a packet arrived (RFC 3550 §6.4: no block for a silent source).
  std::optional<Block> takeBlock(int64_t nowMs);

  uint64_t received() const { return received_; }
  uint32_t jitter() const { return jitterQ4_ >> 4; }

 private:
  void updateJitter(uint32_t rtpTimestamp, int64_t arrivalMs);

  // passed in
  uint32_t clockRate_;
  // owned
  SeqUnwrapper seqs_;        // A.1 bounds: dropout 3000, misorder 100
  int64_t baseSeq_ = 0;      // A.3 base_seq, unwrapped
  int64_t cycleOffset_ = 0;  // subtracted so a restart reports its own cycles from 0
  uint64_t received_ = 0;
  uint64_t expectedPrior_ = 0;
  uint64_t receivedPrior_ = 0;
  bool haveTransit_ = false;
  uint32_t lastTransit_ = 0;
  uint32_t jitterQ4_ = 0;  // A.8: the estimate times 16
  std::optional<uint32_t> lsr_;
  int64_t srArrivalMs_ = 0;
};

// Round-trip time from a report block about a stream we send (RFC 3550 §6.4.1, the
// figure under "delay since last SR"): arrival (middle 32 bits of our NTP clock when
// the RR arrived) - LSR - DLSR, in ms; nullopt when the block has no LSR.
std::optional<int64_t> rtcpRoundTripMs(uint32_t arrivalNtpMiddle, uint32_t lsr, uint32_t dlsr);

}  // namespace webrtc
