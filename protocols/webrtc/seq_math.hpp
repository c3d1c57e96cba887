// 16-bit RTP sequence arithmetic (wrap at 2^16) and SeqUnwrapper, which extends one
// SSRC's sequence numbers to 64 bits with RFC 3550 App. A.1's dropout/misorder/restart
// rules. Value types, owned by their user (JitterBuffer, RtxBuffer); loop thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace webrtc {

constexpr int64_t kSeqModulus = 65536;

// a - b as a signed distance in [-32768, 32767] (serial arithmetic, RFC 1982).
constexpr int seqDistance(uint16_t a, uint16_t b) {
  return static_cast<int16_t>(static_cast<uint16_t>(a - b));
}

// True if `a` comes after `b`, across the wrap (65535 -> 0). Exactly half the range
// apart (32768) is neither newer nor older (RFC 1982 leaves it undefined).
constexpr bool seqNewer(uint16_t a, uint16_t b) {
  const auto forward = static_cast<uint16_t>(a - b);
  return forward != 0 && forward < 0x8000;
}

// Extends one sender's 16-bit sequence numbers to int64, relative to the highest seen.
// The rules of RFC 3550 App. A.1 (update_seq):
//  - up to maxDropout-1 ahead of the highest (default 3000, A.1's MAX_DROPOUT): in
//    order with a permissible gap; crossing 65535 -> 0 adds a cycle;
//  - up to maxMisorder behind (A.1: 100; the jitter buffer passes its window so a late
//    retransmission is not mistaken for a restart): reordered or duplicate;
//  - anything else is a Jump: held on probation (A.1's bad_seq). If the very next
//    seq of that jump arrives (two sequential packets), the sender restarted: Restart,
//    and the numbering continues from there. NOTE deviation from A.1: an in-order packet
//    of the current sequence cancels the probation (the old stream is still alive).
// Unwrapped values never go backwards across a restart: the new sequence is placed
// above everything seen (the lowest value > highest with the same low 16 bits), so
// value & 0xFFFF == seq always holds.
class SeqUnwrapper {
 public:
  static constexpr int kMaxDropout = 3000;  // RFC 3550 A.1 MAX_DROPOUT
  static constexpr int kMaxMisorder = 100;  // RFC 3550 A.1 MAX_MISORDER

  enum class Kind { First, Ahead, Behind, Jump, Restart };
  struct Result {
    int64_t value = 0;  // the unwrapped seq (for Jump: its value if a restart is confirmed)
    Kind kind = Kind::First;
  };

  SeqUnwrapper() = default;
  SeqUnwrapper(int maxDropout, int maxMisorder)
      : maxDropout_(std::clamp(maxDropout, 1, 32767)),
        maxMisorder_(std::clamp(maxMisorder, 1, 32767)) {}

  // What update(seq) would return, without changing anything (a caller may decide a
  // "jump" is really a late packet it asked for, and not commit it).
  Result classify(uint16_t seq) const {
    if (!started_) return {seq, Kind::First};
    const auto forward = static_cast<uint16_t>(seq - lowBits(highest_));
    if (forward == 0) return {highest_, Kind::Behind};  // a duplicate of the highest
    if (forward < maxDropout_) return {highest_ + forward, Kind::Ahead};
    const int behind = static_cast<int>(kSeqModulus) - forward;
    if (behind <= maxMisorder_) return {highest_ - behind, Kind::Behind};
    // The lowest value above everything seen with these low 16 bits.
    const int64_t above = highest_ + forward;
    return {above, badSeq_ && *badSeq_ == seq ? Kind::Restart : Kind::Jump};
  }

  // Classifies `seq` and updates the state: the highest seen, the jump on probation.
  Result update(uint16_t seq) {
    const Result r = classify(seq);
    switch (r.kind) {
      case Kind::First:
        started_ = true;
        highest_ = r.value;
        break;
      case Kind::Ahead:
      case Kind::Restart:
        highest_ = r.value;
        badSeq_.reset();
        break;
      case Kind::Behind:
        break;
      case Kind::Jump:
        badSeq_ = static_cast<uint16_t>(seq + 1);
        break;
    }
    return r;
  }

  // The plan's interface: the unwrapped value of `seq` (see update()).
  int64_t unwrap(uint16_t seq) { return update(seq).value; }

  bool started() const { return started_; }
  int64_t highest() const { return highest_; }

 private:
  static uint16_t lowBits(int64_t v) { return static_cast<uint16_t>(v & 0xFFFF); }

  int maxDropout_ = kMaxDropout;
  int maxMisorder_ = kMaxMisorder;
  bool started_ = false;
  int64_t highest_ = 0;
  std::optional<uint16_t> badSeq_;  // the seq that would confirm a restart
};

}  // namespace webrtc
