// JitterBuffer: reorders one ingest SSRC's RTP packets, waits a bounded time for
// retransmissions and says which seqs to NACK (RFC 4585 §6.2.1). One per received
// SSRC, owned by the WebRTC session; loop thread; no timers of its own (the owner
// calls pop()/nacks() at nextDeadlineMs()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "protocols/webrtc/seq_math.hpp"

namespace webrtc {

struct JitterPacket {
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  bool marker = false;
  core::SharedBuffer bytes;  // the whole RTP packet (after SRTP)
  int64_t arrivalMs = 0;
};

// Use: on each RTP packet insert(), then pop() (feed the depacketizer) and nacks()
// (send one RTCP NACK); arm the timer at nextDeadlineMs() and do pop()+nacks() there.
// Sequence numbers are unwrapped with SeqUnwrapper (A.1 rules, "behind" widened to
// twice the window); a confirmed jump (a sender restart) releases everything held and
// starts again, its first packet marked lossBefore. The first packet starts the
// sequence: an older one arriving after it is late.
class JitterBuffer {
 public:
  struct Options {
    size_t maxPackets = 512;     // window in seqs (so also in packets held)
    int64_t maxWaitMs = 200;     // how long a gap waits for a retransmission
    int maxNackTries = 10;       // requests per seq
    int64_t minRetryMs = 20;     // a seq is asked again after max(RTT, this)
    int64_t initialRttMs = 100;  // until setRttMs()
    size_t maxNacksPerCall = 256;
    size_t maxNackGap = 256;  // a bigger gap (a restart, an outage) is given up at once
  };
  struct Out {
    JitterPacket packet;
    bool lossBefore = false;  // seqs before this one were given up (or the sender restarted)
  };
  struct Stats {
    uint64_t received = 0;    // every insert()
    uint64_t duplicates = 0;  // already held, or already released
    uint64_t late = 0;        // older than the last released and not a known duplicate,
                              // or a retransmission we asked for after a jump
    uint64_t lost = 0;        // seqs given up (never released), and packets dropped
                              // because the owner did not pop() them in time
    uint64_t nacked = 0;      // seq requests returned by nacks()
    uint64_t recovered = 0;   // a NACKed seq that arrived in time
    uint64_t restarts = 0;    // sender restarts (a confirmed sequence jump)
    uint64_t strays = 0;      // a lone jump that no next packet confirmed, dropped
  };
  static constexpr int64_t kNoDeadline = std::numeric_limits<int64_t>::max();

  JitterBuffer(size_t maxPackets, int64_t maxWaitMs);
  explicit JitterBuffer(const Options& options);

  void insert(JitterPacket packet, int64_t nowMs);
  // Packets ready in order: the in-order prefix at once, then past gaps the buffer gave
  // up on (maxWaitMs, overflow of maxPackets, a huge gap, a restart) with lossBefore.
  std::vector<Out> pop(int64_t nowMs);
  // Missing seqs to request now: each at once, then again every max(RTT, minRetryMs),
  // at most maxNackTries times, oldest first, at most maxNacksPerCall per call.
  std::vector<uint16_t> nacks(int64_t nowMs);
  // The earliest time pop() or nacks() has work (a give-up or a retry); kNoDeadline if
  // none; a time in the past if packets wait for pop().
  int64_t nextDeadlineMs() const;

  void setRttMs(int64_t rttMs) { rttMs_ = rttMs > 0 ? rttMs : 0; }
  Stats stats() const { return stats_; }
  size_t held() const { return held_ + ready_.size(); }

 private:
  enum class SlotState : uint8_t { Empty, Missing, Held, Released, GivenUp };
  struct Slot {
    int64_t seq = -1;  // the unwrapped seq this slot describes
    SlotState state = SlotState::Empty;
    bool noNack = false;  // part of a gap larger than maxNackGap
    int tries = 0;
    int64_t missingSinceMs = 0;
    int64_t lastNackMs = 0;
    JitterPacket packet;
  };

  Slot& slotOf(int64_t seq) { return slots_[static_cast<size_t>(seq) & mask_]; }
  const Slot& slotOf(int64_t seq) const { return slots_[static_cast<size_t>(seq) & mask_]; }
  void place(int64_t seq, JitterPacket&& packet, int64_t nowMs);
  void markMissing(int64_t from, int64_t to, bool noNack, int64_t nowMs);
  bool askedRecently(uint16_t seq) const;
  void dropOld(int64_t seq);
  void restart(int64_t nowMs);
  // Releases from the head: held packets, and missing seqs below forceBelow or expired.
  void drain(int64_t nowMs, int64_t forceBelow);
  bool expired(const Slot& slot, int64_t nowMs) const;
  int64_t retryMs() const;
  void boundReady();

  // passed in
  Options options_;
  // owned
  std::vector<Slot> slots_;  // ring, a power of two >= maxPackets
  size_t mask_ = 0;
  SeqUnwrapper unwrapper_;
  bool started_ = false;
  int64_t base_ = 0;  // the next seq to release
  int64_t end_ = 0;   // one past the highest seq placed
  size_t held_ = 0;   // Held slots
  bool lossPending_ = false;
  struct Pending {
    int64_t seq;
    JitterPacket packet;
  };
  std::optional<Pending> jump_;  // a jump on probation (a restart's first packet?)
  std::vector<Out> ready_;       // released, waiting for pop()
  std::vector<uint16_t> asked_;  // ring of the last seqs nacks() returned
  size_t askedNext_ = 0;
  size_t askedCount_ = 0;
  int64_t rttMs_;
  Stats stats_;
};

}  // namespace webrtc
