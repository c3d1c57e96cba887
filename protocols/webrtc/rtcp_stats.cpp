#include "protocols/webrtc/rtcp_stats.hpp"

#include <algorithm>

namespace webrtc {

namespace {
constexpr int64_t kRtcpStatsMaxLost = 0x7FFFFF;  // 24-bit signed field
constexpr int64_t kRtcpStatsMinLost = -0x800000;
}  // namespace

RtcpStats::RtcpStats(uint32_t clockRate) : clockRate_(clockRate == 0 ? 90000 : clockRate) {}

void RtcpStats::onPacket(uint16_t seq, uint32_t rtpTimestamp, int64_t arrivalMs) {
  const SeqUnwrapper::Result r = seqs_.update(seq);
  switch (r.kind) {
    case SeqUnwrapper::Kind::First:
      baseSeq_ = r.value;
      break;
    case SeqUnwrapper::Kind::Restart:
      // A.1 init_seq(): the sender restarted; count from this packet.
      baseSeq_ = r.value;
      cycleOffset_ = r.value - seq;
      received_ = 0;
      expectedPrior_ = 0;
      receivedPrior_ = 0;
      haveTransit_ = false;
      break;
    case SeqUnwrapper::Kind::Jump:
      return;  // A.1: not counted until a second packet confirms the restart
    case SeqUnwrapper::Kind::Ahead:
    case SeqUnwrapper::Kind::Behind:
      break;
  }
  ++received_;
  // NOTE: jitter only from packets that advance the sequence: a retransmission or a
  // reordered packet would add the repair delay, not the network's jitter.
  if (r.kind != SeqUnwrapper::Kind::Behind) updateJitter(rtpTimestamp, arrivalMs);
}

void RtcpStats::updateJitter(uint32_t rtpTimestamp, int64_t arrivalMs) {
  // A.8: transit = arrival (in RTP units) - RTP timestamp; both wrap at 2^32, and only
  // differences of transits are used, so unsigned 32-bit arithmetic is exact.
  const auto arrival = static_cast<uint32_t>(arrivalMs * clockRate_ / 1000);
  const uint32_t transit = arrival - rtpTimestamp;
  if (haveTransit_) {
    const auto delta = static_cast<int32_t>(transit - lastTransit_);
    const uint32_t d = delta < 0 ? 0u - static_cast<uint32_t>(delta) : static_cast<uint32_t>(delta);
    jitterQ4_ += d - ((jitterQ4_ + 8) >> 4);
  }
  lastTransit_ = transit;
  haveTransit_ = true;
}

void RtcpStats::onSenderReport(uint64_t ntp, int64_t arrivalMs) {
  lsr_ = static_cast<uint32_t>(ntp >> 16);
  srArrivalMs_ = arrivalMs;
}

std::optional<RtcpStats::Block> RtcpStats::takeBlock(int64_t nowMs) {
  if (!seqs_.started()) return std::nullopt;
  Block block;
  // A.3
  const auto expected = static_cast<uint64_t>(seqs_.highest() - baseSeq_ + 1);
  const int64_t lost = static_cast<int64_t>(expected) - static_cast<int64_t>(received_);
  block.cumulativeLost =
      static_cast<int32_t>(std::clamp(lost, kRtcpStatsMinLost, kRtcpStatsMaxLost));
  const uint64_t expectedInterval = expected - expectedPrior_;
  const uint64_t receivedInterval = received_ - receivedPrior_;
  expectedPrior_ = expected;
  receivedPrior_ = received_;
  const auto lostInterval =
      static_cast<int64_t>(expectedInterval) - static_cast<int64_t>(receivedInterval);
  if (expectedInterval != 0 && lostInterval > 0) {
    const uint64_t fraction = (static_cast<uint64_t>(lostInterval) << 8) / expectedInterval;
    block.fractionLost = static_cast<uint8_t>(std::min<uint64_t>(fraction, 255));
  }
  block.extendedHighestSeq = static_cast<uint32_t>(seqs_.highest() - cycleOffset_);
  block.jitter = jitter();
  if (lsr_) {
    block.lsr = *lsr_;
    const int64_t delayMs = std::max<int64_t>(nowMs - srArrivalMs_, 0);
    block.dlsr = static_cast<uint32_t>(delayMs * 65536 / 1000);
  }
  return block;
}

std::optional<int64_t> rtcpRoundTripMs(uint32_t arrivalNtpMiddle, uint32_t lsr, uint32_t dlsr) {
  if (lsr == 0) return std::nullopt;
  const uint32_t rtt = arrivalNtpMiddle - lsr - dlsr;  // 1/65536 s, wraps like the clock
  if (rtt > 0x80000000u) return int64_t{0};            // clocks disagree: call it zero
  return static_cast<int64_t>(rtt) * 1000 / 65536;
}

}  // namespace webrtc
