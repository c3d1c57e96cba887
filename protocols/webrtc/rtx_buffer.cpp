#include "protocols/webrtc/rtx_buffer.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "protocols/webrtc/seq_math.hpp"

namespace webrtc {

namespace {
constexpr size_t kRtxMaxCapacity = 32768;  // half the seq space: "behind" stays unambiguous
}  // namespace

RtxBuffer::RtxBuffer(size_t capacity, size_t slotBytes)
    : slots_(std::bit_ceil(std::clamp<size_t>(capacity, 1, kRtxMaxCapacity))),
      mask_(slots_.size() - 1),
      slotBytes_(std::max<size_t>(slotBytes, 1)),
      bytes_(std::make_unique_for_overwrite<uint8_t[]>(slots_.size() * slotBytes_)) {}

// NOTE: seqs are unwrapped to 64 bits (the nearest value to the newest) so that a slot
// left from 65536 seqs ago never answers for the same 16-bit seq after a wrap.
int64_t RtxBuffer::unwrapNear(uint16_t seq) const {
  return newest_ + seqDistance(seq, static_cast<uint16_t>(newest_ & 0xFFFF));
}

bool RtxBuffer::store(uint16_t seq, std::span<const uint8_t> rtpPacket) {
  if (rtpPacket.size() > slotBytes_) {
    ++stats_.tooBig;
    return false;
  }
  int64_t value = 0;
  if (started_) {
    value = unwrapNear(seq);
    if (newest_ - value >= static_cast<int64_t>(slots_.size())) return false;  // would evict newer
    newest_ = std::max(newest_, value);
  } else {
    // One cycle up, so a seq behind the first one stays positive (-1 marks empty).
    value = kSeqModulus + seq;
    started_ = true;
    newest_ = value;
  }
  const size_t index = static_cast<size_t>(value) & mask_;
  Slot& slot = slots_[index];
  slot.seq = value;
  slot.length = static_cast<uint32_t>(rtpPacket.size());
  slot.resent = false;
  if (!rtpPacket.empty())
    std::memcpy(bytes_.get() + index * slotBytes_, rtpPacket.data(), rtpPacket.size());
  ++stats_.stored;
  return true;
}

std::optional<std::span<const uint8_t>> RtxBuffer::findForResend(uint16_t seq, bool& first) {
  auto found = find(seq);
  first = false;
  if (found) {
    Slot& slot = slots_[static_cast<size_t>(unwrapNear(seq)) & mask_];
    first = !slot.resent;
    slot.resent = true;
  }
  return found;
}

std::optional<std::span<const uint8_t>> RtxBuffer::find(uint16_t seq) const {
  if (started_) {
    const int64_t value = unwrapNear(seq);
    const size_t index = static_cast<size_t>(value) & mask_;
    const Slot& slot = slots_[index];
    if (value <= newest_ && newest_ - value < static_cast<int64_t>(slots_.size()) &&
        slot.seq == value) {
      ++stats_.hits;
      return std::span<const uint8_t>(slotData(index), slot.length);
    }
  }
  ++stats_.misses;
  return std::nullopt;
}

}  // namespace webrtc
