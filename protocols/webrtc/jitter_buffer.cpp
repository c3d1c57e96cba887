#include "protocols/webrtc/jitter_buffer.hpp"

#include <algorithm>
#include <bit>
#include <utility>

namespace webrtc {

namespace {

constexpr size_t kJitterMaxWindow = 16384;  // ~80 bytes a slot: at most ~1.3 MB per SSRC
// The last requests remembered to tell a late retransmission from a restart.
constexpr size_t kJitterAskedHistory = 1024;

JitterBuffer::Options jitterOptions(size_t maxPackets, int64_t maxWaitMs) {
  JitterBuffer::Options options;
  options.maxPackets = maxPackets;
  options.maxWaitMs = maxWaitMs;
  return options;
}

JitterBuffer::Options jitterSanitized(JitterBuffer::Options o) {
  o.maxPackets = std::clamp<size_t>(o.maxPackets, 1, kJitterMaxWindow);
  o.maxWaitMs = std::max<int64_t>(o.maxWaitMs, 0);
  o.maxNackTries = std::max(o.maxNackTries, 0);
  o.minRetryMs = std::max<int64_t>(o.minRetryMs, 1);
  o.initialRttMs = std::max<int64_t>(o.initialRttMs, 0);
  return o;
}

}  // namespace

JitterBuffer::JitterBuffer(size_t maxPackets, int64_t maxWaitMs)
    : JitterBuffer(jitterOptions(maxPackets, maxWaitMs)) {}

JitterBuffer::JitterBuffer(const Options& options)
    : options_(jitterSanitized(options)),
      slots_(std::bit_ceil(options_.maxPackets)),
      mask_(slots_.size() - 1),
      // NOTE: "behind" reaches twice the window (A.1's MAX_MISORDER is 100): a
      // retransmission arriving after the head moved on is late, not a restart.
      unwrapper_(SeqUnwrapper::kMaxDropout,
                 static_cast<int>(std::max<size_t>(SeqUnwrapper::kMaxMisorder, 2 * slots_.size()))),
      asked_(kJitterAskedHistory),
      rttMs_(options_.initialRttMs) {}

void JitterBuffer::insert(JitterPacket packet, int64_t nowMs) {
  ++stats_.received;
  const SeqUnwrapper::Result peek = unwrapper_.classify(packet.seq);
  const bool jump =
      peek.kind == SeqUnwrapper::Kind::Jump || peek.kind == SeqUnwrapper::Kind::Restart;
  if (jump && askedRecently(packet.seq)) {
    // NOTE: a retransmission we asked for, arriving long after its seq was given up,
    // is late, never the start of a new sequence (two of them in a row would
    // otherwise look like RFC 3550 A.1's restart).
    ++stats_.late;
    return;
  }
  const SeqUnwrapper::Result r = unwrapper_.update(packet.seq);
  switch (r.kind) {
    case SeqUnwrapper::Kind::First:
      started_ = true;
      base_ = end_ = r.value;
      break;
    case SeqUnwrapper::Kind::Ahead:
      if (jump_) {  // the old sequence goes on: the jump was a stray packet
        ++stats_.strays;
        jump_.reset();
      }
      break;
    case SeqUnwrapper::Kind::Behind:
      break;
    case SeqUnwrapper::Kind::Jump:
      if (jump_) ++stats_.strays;
      jump_ = Pending{r.value, std::move(packet)};
      return;
    case SeqUnwrapper::Kind::Restart:
      restart(nowMs);
      base_ = end_ = r.value;
      if (jump_ && jump_->seq + 1 == r.value) {
        base_ = end_ = jump_->seq;
        place(jump_->seq, std::move(jump_->packet), nowMs);
      }
      jump_.reset();
      break;
  }
  place(r.value, std::move(packet), nowMs);
  boundReady();
}

void JitterBuffer::restart(int64_t nowMs) {
  // Everything of the old sequence goes out now; its gaps are lost.
  drain(nowMs, end_);
  ++stats_.restarts;
  lossPending_ = true;  // the depacketizer must not join the two sequences
}

void JitterBuffer::place(int64_t seq, JitterPacket&& packet, int64_t nowMs) {
  if (seq < base_) {
    dropOld(seq);
    return;
  }
  if (seq >= end_) {
    // NOTE: a gap wider than maxNackGap is an outage or an unannounced restart: asking
    // for hundreds of packets (a NACK storm) would only add load on a path that just
    // failed, and the retransmissions would come too late: given up at the next pop().
    const bool noNack = seq - end_ > static_cast<int64_t>(options_.maxNackGap);
    const auto window = static_cast<int64_t>(options_.maxPackets);
    if (seq - base_ >= window) drain(nowMs, seq - window + 1);  // overflow
    markMissing(std::max(end_, base_), seq, noNack, nowMs);
    end_ = seq + 1;
  }
  Slot& slot = slotOf(seq);
  if (slot.seq == seq && slot.state == SlotState::Held) {
    ++stats_.duplicates;
    return;
  }
  if (slot.seq == seq && slot.state == SlotState::Missing && slot.tries > 0) ++stats_.recovered;
  slot.seq = seq;
  slot.state = SlotState::Held;
  slot.packet = std::move(packet);
  ++held_;
}

void JitterBuffer::markMissing(int64_t from, int64_t to, bool noNack, int64_t nowMs) {
  for (int64_t seq = from; seq < to; ++seq) {
    Slot& slot = slotOf(seq);
    slot = Slot{};
    slot.seq = seq;
    slot.state = SlotState::Missing;
    slot.noNack = noNack;
    slot.missingSinceMs = nowMs;
  }
}

void JitterBuffer::dropOld(int64_t seq) {
  const Slot& slot = slotOf(seq);
  if (slot.seq == seq && slot.state == SlotState::Released) {
    ++stats_.duplicates;
  } else {
    ++stats_.late;
  }
}

void JitterBuffer::drain(int64_t nowMs, int64_t forceBelow) {
  while (base_ < end_) {
    Slot& slot = slotOf(base_);
    if (slot.state == SlotState::Held) {
      ready_.push_back(Out{std::move(slot.packet), lossPending_});
      slot.packet = JitterPacket{};
      slot.state = SlotState::Released;
      --held_;
      lossPending_ = false;
    } else if (base_ < forceBelow || expired(slot, nowMs)) {
      slot.state = SlotState::GivenUp;
      ++stats_.lost;
      lossPending_ = true;
    } else {
      break;
    }
    ++base_;
  }
  if (base_ < forceBelow) {  // seqs never seen, skipped by an overflow
    stats_.lost += static_cast<uint64_t>(forceBelow - base_);
    lossPending_ = true;
    base_ = forceBelow;
  }
}

bool JitterBuffer::expired(const Slot& slot, int64_t nowMs) const {
  return slot.noNack || nowMs - slot.missingSinceMs >= options_.maxWaitMs;
}

bool JitterBuffer::askedRecently(uint16_t seq) const {
  return std::find(asked_.begin(), asked_.begin() + static_cast<std::ptrdiff_t>(askedCount_),
                   seq) != asked_.begin() + static_cast<std::ptrdiff_t>(askedCount_);
}

int64_t JitterBuffer::retryMs() const {
  return std::max(rttMs_, options_.minRetryMs);
}

void JitterBuffer::boundReady() {
  // Only an owner that does not pop() after insert() gets here: keep the bound anyway.
  if (held_ + ready_.size() <= options_.maxPackets || ready_.empty()) return;
  const size_t excess = std::min(ready_.size(), held_ + ready_.size() - options_.maxPackets);
  ready_.erase(ready_.begin(), ready_.begin() + static_cast<std::ptrdiff_t>(excess));
  stats_.lost += excess;
  ready_.front().lossBefore = true;
}

std::vector<JitterBuffer::Out> JitterBuffer::pop(int64_t nowMs) {
  if (started_) drain(nowMs, std::numeric_limits<int64_t>::min());
  return std::exchange(ready_, {});
}

std::vector<uint16_t> JitterBuffer::nacks(int64_t nowMs) {
  std::vector<uint16_t> out;
  if (held_ == 0) return out;  // nothing after a gap: nothing missing
  const int64_t retry = retryMs();
  for (int64_t seq = base_; seq < end_ && out.size() < options_.maxNacksPerCall; ++seq) {
    Slot& slot = slotOf(seq);
    if (slot.state != SlotState::Missing || slot.noNack) continue;
    if (slot.tries >= options_.maxNackTries || expired(slot, nowMs)) continue;
    if (slot.tries > 0 && nowMs - slot.lastNackMs < retry) continue;
    out.push_back(static_cast<uint16_t>(seq & 0xFFFF));
    asked_[askedNext_] = out.back();
    askedNext_ = (askedNext_ + 1) % asked_.size();
    askedCount_ = std::min(askedCount_ + 1, asked_.size());
    ++slot.tries;
    slot.lastNackMs = nowMs;
    ++stats_.nacked;
  }
  return out;
}

int64_t JitterBuffer::nextDeadlineMs() const {
  if (!ready_.empty()) return std::numeric_limits<int64_t>::min();
  int64_t deadline = kNoDeadline;
  const int64_t retry = retryMs();
  for (int64_t seq = base_; seq < end_; ++seq) {
    const Slot& slot = slotOf(seq);
    if (slot.state != SlotState::Missing) continue;
    if (slot.noNack) return std::min(deadline, slot.missingSinceMs);  // given up at pop()
    deadline = std::min(deadline, slot.missingSinceMs + options_.maxWaitMs);
    if (slot.tries < options_.maxNackTries) {
      deadline =
          std::min(deadline, slot.tries == 0 ? slot.missingSinceMs : slot.lastNackMs + retry);
    }
  }
  return deadline;
}

}  // namespace webrtc
