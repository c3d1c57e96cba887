#include "protocols/webrtc/remb_estimator.hpp"

#include <algorithm>
#include <cmath>

namespace webrtc {

namespace {
constexpr size_t kRembEstimatorMaxSources = 8;  // more SSRCs: not counted for loss
}  // namespace

RembEstimator::RembEstimator(uint64_t maxBps)
    : maxBps_(std::max(maxBps, kMinBps)), estimateBps_(maxBps_) {}

void RembEstimator::onPacket(uint32_t ssrc, uint16_t seq, size_t bytes, int64_t nowMs) {
  if (!intervalStartMs_) intervalStartMs_ = nowMs;
  bytes_ += bytes;
  auto it = std::find_if(sources_.begin(), sources_.end(),
                         [ssrc](const Source& s) { return s.ssrc == ssrc; });
  if (it == sources_.end()) {
    if (sources_.size() >= kRembEstimatorMaxSources) return;
    it = sources_.emplace(sources_.end());
    it->ssrc = ssrc;
  }
  const SeqUnwrapper::Result r = it->seqs.update(seq);
  switch (r.kind) {
    case SeqUnwrapper::Kind::First:
    case SeqUnwrapper::Kind::Restart:
      // NOTE: a (re)start counts from this packet: the interval expects it alone.
      it->base = r.value - 1;
      it->received = 0;
      break;
    case SeqUnwrapper::Kind::Jump:
      return;  // not counted until a second packet confirms the restart
    case SeqUnwrapper::Kind::Ahead:
    case SeqUnwrapper::Kind::Behind:
      break;
  }
  ++it->received;
}

RembEstimator::Interval RembEstimator::takeInterval(int64_t nowMs) {
  Interval out;
  out.ms = intervalStartMs_ ? std::max<int64_t>(nowMs - *intervalStartMs_, 0) : 0;
  out.bytes = bytes_;
  for (Source& s : sources_) {
    if (!s.seqs.started()) continue;
    out.expected += static_cast<uint64_t>(std::max<int64_t>(s.seqs.highest() - s.base, 0));
    out.received += s.received;
    s.base = s.seqs.highest();
    s.received = 0;
  }
  bytes_ = 0;
  if (intervalStartMs_) intervalStartMs_ = nowMs;
  return out;
}

void RembEstimator::update(int64_t nowMs) {
  const Interval current = takeInterval(nowMs);
  Interval window = current;
  window.ms += previous_.ms;
  window.bytes += previous_.bytes;
  window.expected += previous_.expected;
  window.received += previous_.received;
  previous_ = current;
  if (window.ms <= 0) return;  // nothing arrived yet: the estimate stays
  judge(window, current.ms);
}

void RembEstimator::judge(const Interval& window, int64_t stepMs) {
  receivedBps_ = window.bytes * 8 * 1000 / static_cast<uint64_t>(window.ms);
  // Retransmissions and duplicates can make received exceed expected: no loss then.
  const uint64_t lost = window.expected > window.received ? window.expected - window.received : 0;
  loss_ = window.expected ? static_cast<double>(lost) / static_cast<double>(window.expected) : 0;
  if (window.expected < kMinExpected) return;
  double next = static_cast<double>(estimateBps_);
  if (loss_ > kHighLoss) {
    // NOTE: as the rate controller of Google's receive-side estimator on overuse
    // (draft-ietf-rmcat-gcc-02: beta = 0.85 x the incoming rate); never above the last.
    next = std::min(next, kDecreaseFactor * static_cast<double>(receivedBps_));
  } else if (loss_ < kLowLoss) {
    next *= std::pow(kIncreasePerSecond, static_cast<double>(stepMs) / 1000.0);
  }
  next = std::clamp(next, static_cast<double>(kMinBps), static_cast<double>(maxBps_));
  estimateBps_ = static_cast<uint64_t>(next);
}

}  // namespace webrtc
