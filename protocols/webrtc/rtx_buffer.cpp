#include "protocols/webrtc/rtx_buffer.hpp"

#include <algorithm>
#include <bit>
#include <utility>

#include "protocols/webrtc/seq_math.hpp"

namespace webrtc {

namespace {
constexpr size_t kRtxMaxCapacity = 32768;  // half the seq space: "behind" stays unambiguous
}  // namespace

RtxBuffer::RtxBuffer(size_t capacity)
    : slots_(std::bit_ceil(std::clamp<size_t>(capacity, 1, kRtxMaxCapacity))),
      mask_(slots_.size() - 1) {}

// NOTE: seqs are unwrapped to 64 bits (the nearest value to the newest) so that a slot
// left from 65536 seqs ago never answers for the same 16-bit seq after a wrap.
int64_t RtxBuffer::unwrapNear(uint16_t seq) const {
  return newest_ + seqDistance(seq, static_cast<uint16_t>(newest_ & 0xFFFF));
}

void RtxBuffer::store(uint16_t seq, core::SharedBuffer rtpPacket) {
  int64_t value = 0;
  if (started_) {
    value = unwrapNear(seq);
    if (newest_ - value >= static_cast<int64_t>(slots_.size())) return;  // would evict newer
    newest_ = std::max(newest_, value);
  } else {
    // One cycle up, so a seq behind the first one stays positive (-1 marks empty).
    value = kSeqModulus + seq;
    started_ = true;
    newest_ = value;
  }
  Slot& slot = slots_[static_cast<size_t>(value) & mask_];
  slot.seq = value;
  slot.packet = std::move(rtpPacket);
  slot.resent = false;
  ++stats_.stored;
}

std::optional<core::SharedBuffer> RtxBuffer::findForResend(uint16_t seq, bool& first) {
  auto found = find(seq);
  first = false;
  if (found) {
    Slot& slot = slots_[static_cast<size_t>(unwrapNear(seq)) & mask_];
    first = !slot.resent;
    slot.resent = true;
  }
  return found;
}

std::optional<core::SharedBuffer> RtxBuffer::find(uint16_t seq) const {
  if (started_) {
    const int64_t value = unwrapNear(seq);
    const Slot& slot = slots_[static_cast<size_t>(value) & mask_];
    if (value <= newest_ && newest_ - value < static_cast<int64_t>(slots_.size()) &&
        slot.seq == value) {
      ++stats_.hits;
      return slot.packet;
    }
  }
  ++stats_.misses;
  return std::nullopt;
}

}  // namespace webrtc
