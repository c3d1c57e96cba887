// RtxBuffer: the last `capacity` RTP packets sent on one SSRC (before SRTP), by
// sequence number, to answer a NACK (RFC 4585 §6.2.1) by sending them again. One per
// sent SSRC, owned by the WHEP session; loop thread. A ring of fixed-size slots
// allocated once: storing is a copy into a slot, never an allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace webrtc {

class RtxBuffer {
 public:
  struct Stats {
    uint64_t stored = 0;
    uint64_t tooBig = 0;  // longer than a slot: not stored (its NACK misses)
    uint64_t hits = 0;
    uint64_t misses = 0;  // never stored, overwritten, or too old
  };

  // capacity is rounded up to a power of two (at least 1, at most 32768); each slot
  // holds a packet of up to slotBytes (at least 1).
  RtxBuffer(size_t capacity, size_t slotBytes);

  // Seqs are expected in sending order (the newest defines "now"; a seq behind the
  // newest overwrites its slot too, e.g. a re-stored packet). Copies the packet; false
  // when it was not stored (longer than a slot, or older than the ring).
  bool store(uint16_t seq, std::span<const uint8_t> rtpPacket);
  // The packet last stored with exactly this seq, within the last capacity() seqs
  // behind the newest; nullopt once overwritten, older, never sent, or ahead. The
  // bytes are the slot's: valid until the next store().
  std::optional<std::span<const uint8_t>> find(uint16_t seq) const;
  // find() for a resend: `first` tells whether the packet is asked again for the
  // first time (a receiver repeats its NACK while the resend is on its way).
  std::optional<std::span<const uint8_t>> findForResend(uint16_t seq, bool& first);

  size_t capacity() const { return slots_.size(); }
  size_t slotBytes() const { return slotBytes_; }
  Stats stats() const { return stats_; }

 private:
  struct Slot {
    int64_t seq = -1;  // unwrapped; -1 empty
    uint32_t length = 0;
    bool resent = false;
  };
  int64_t unwrapNear(uint16_t seq) const;
  const uint8_t* slotData(size_t index) const { return bytes_.get() + index * slotBytes_; }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t slotBytes_;
  // NOTE: not zero-filled: the kernel maps a page of it when a packet first lands there.
  std::unique_ptr<uint8_t[]> bytes_;
  bool started_ = false;
  int64_t newest_ = 0;   // unwrapped seq of the newest stored packet
  mutable Stats stats_;  // find() counts hits and misses
};

}  // namespace webrtc
