// RtxBuffer: the last `capacity` RTP packets sent on one SSRC (before SRTP), by
// sequence number, to answer a NACK (RFC 4585 §6.2.1) by sending them again. One per
// sent SSRC, owned by the WHEP session; loop thread. Storing costs a refcount.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace webrtc {

class RtxBuffer {
 public:
  struct Stats {
    uint64_t stored = 0;
    uint64_t hits = 0;
    uint64_t misses = 0;  // never stored, overwritten, or too old
  };

  // capacity is rounded up to a power of two (at least 1, at most 32768).
  explicit RtxBuffer(size_t capacity);

  // Seqs are expected in sending order (the newest defines "now"; a seq behind the
  // newest overwrites its slot too, e.g. a re-stored packet).
  void store(uint16_t seq, core::SharedBuffer rtpPacket);
  // The packet last stored with exactly this seq, within the last capacity() seqs
  // behind the newest; nullopt once overwritten, older, never sent, or ahead.
  std::optional<core::SharedBuffer> find(uint16_t seq) const;
  // find() for a resend: `first` tells whether the packet is asked again for the
  // first time (a receiver repeats its NACK while the resend is on its way).
  std::optional<core::SharedBuffer> findForResend(uint16_t seq, bool& first);

  size_t capacity() const { return slots_.size(); }
  Stats stats() const { return stats_; }

 private:
  struct Slot {
    int64_t seq = -1;  // unwrapped; -1 empty
    core::SharedBuffer packet;
    bool resent = false;
  };
  int64_t unwrapNear(uint16_t seq) const;

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  bool started_ = false;
  int64_t newest_ = 0;   // unwrapped seq of the newest stored packet
  mutable Stats stats_;  // find() counts hits and misses
};

}  // namespace webrtc
