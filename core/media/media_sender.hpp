// MediaSender: the egress half of one network viewer (RTMP play, HTTP-FLV): takes
// packets from the Stream, applies the SendQueue drop policy, and writes the shared
// serialized bytes with merged gather writes to a ByteSink. Owned by the viewer
// session; loop thread. Never blocks the Stream: a slow socket only grows this
// viewer's queue.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <utility>

#include "core/loop/byte_sink.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/packet_batch.hpp"
#include "core/media/room_event_gate.hpp"
#include "core/media/send_queue.hpp"

namespace core {

// NOTE: aligned to a cache line, and what inStep() reads lies in the first one:
// a batch's hand-out to hundreds of viewers touches one line of each (two for
// sendWhole()), and nothing of the ByteSink until the write itself.
class alignas(64) MediaSender {
 public:
  // Returns the packet's wire bytes in this viewer's format (cached per packet).
  using Serializer = std::function<const SharedBuffer&(const MediaPacket&)>;
  // Called once when the viewer fell behind the hard limit; the owner closes.
  using OverflowFn = std::function<void(const std::string& reason)>;
  // Framing around each gather write (HTTP chunked encoding): called with the
  // write's payload size, returns the buffers to put before and after it.
  using FrameFn = std::function<std::pair<SharedBuffer, SharedBuffer>(size_t)>;

  MediaSender(ByteSink& sink, WriteCoalescer& coalescer, SendQueue::Limits limits,
              Serializer serializer, OverflowFn onOverflow);
  ~MediaSender();
  MediaSender(const MediaSender&) = delete;
  MediaSender& operator=(const MediaSender&) = delete;

  void send(const MediaPacket& packet);
  // The packet as `bytes` already serialized, of which the first `leadBytes` are
  // never dropped (the packet's leading data, for a sink that takes it).
  void send(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes);
  // The packet in a datagram format, as its parts (MediaPacket::wireParts): queued
  // as one packet, dropped whole, its parts written in order in one gather write.
  void send(const MediaPacket& packet, std::span<const SharedBuffer> parts);
  // Around a join (headers + cached GOP): nothing is dropped, and the burst
  // counts as due when it ends, which also writes it out at once.
  void beginBurst() { queue_.beginBurst(); }
  void endBurst();
  // Batched delivery: true when this viewer is in step with the stream (nothing
  // queued or in flight, not skipping to a keyframe, not in its join burst) and
  // the batch's media span is within the limits, so sendWhole() may write it.
  bool inStep(const PacketBatch& batch) const;
  // Writes `bytes`, the whole batch in this viewer's wire form (shared by every
  // viewer in step), at once. Only after inStep(batch). It leaves the queue as
  // pushing each packet and flushing would have: at that point nothing can be
  // dropped. The bytes are counted in the batch (PacketBatch::countBytesOut), not
  // through onBytesSent. False (nothing done) if the bytes exceed the byte limit:
  // then send the packets one by one.
  bool sendWhole(const PacketBatch& batch, const SharedBuffer& bytes);
  // Protocol bytes (status messages, headers): ordered after queued media, never
  // dropped, written at once.
  void sendControl(SharedBuffer bytes);
  // Call when the sink has written everything it queued (TcpConnection's
  // Handler::onDrained()).
  void onDrained();
  // Writes what is queued now (also ends a wait for the merge window).
  void flush();

  // Nothing queued and nothing in flight.
  bool idle() const { return queue_.empty() && !inFlight_; }
  // A write found the sink closed: nothing more is written.
  bool sinkClosed() const { return sinkClosed_; }
  uint64_t droppedPackets() const { return queue_.droppedPackets(); }
  uint64_t bytesSent() const { return bytesSent_; }
  // Entries of the storage kept between writes (the flush vectors and the queue's).
  size_t keptEntries() const { return taken_.capacity() + buffers_.capacity() + queue_.capacity(); }
  static constexpr size_t kKeptEntries = 64;  // more is let go after a write
  // Set by the owner: room events reach this viewer only past RoomEventGate's hold-off
  // (a Data RoomEvent packet is dropped, a packet's leading events are cut off).
  void holdRoomEvents(bool on) {
    holdRoomEvents_ = on;
    eventsHeld_ = on && !eventGate_.open();
  }
  // Optional framing around each gather write (see FrameFn).
  void setFrame(FrameFn frame) {
    framed_ = static_cast<bool>(frame);
    frame_ = std::move(frame);
  }

 private:
  // The flush of the merge window, for the WriteCoalescer.
  struct Flusher final : WriteCoalescer::Client {
    explicit Flusher(MediaSender& s) : sender(s) {}
    void flush() override { sender.flush(); }
    MediaSender& sender;
  };

  void enqueue(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes,
               std::span<const SharedBuffer> more = {});
  void enqueue(SendQueue::Item item, std::span<const SharedBuffer> more = {});
  // Room events pass to this viewer with `packet` (counts it at the gate).
  bool eventsPass(const MediaPacket& packet);
  // Writes `buffers` to the sink, noting what it answered; false if it is closed.
  bool write(std::span<const SharedBuffer> buffers);

  // --- first cache line: what inStep() reads (and sendWhole() mostly) ---
  ByteSink& sink_;
  bool overflowed_ = false;
  bool inFlight_ = false;    // a write is queued in the sink, not yet drained
  bool sinkClosed_ = false;  // a write found the sink closed
  bool eventsHeld_ = false;  // holdRoomEvents_ and the gate is still shut
  bool framed_ = false;      // frame_ is set
  bool holdRoomEvents_ = false;
  SendQueue queue_;  // its first 48 bytes are what inStep() reads
  // --- then ---
  int64_t inFlightOldestDue_ = SendQueue::kNever;
  uint64_t bytesSent_ = 0;
  WriteCoalescer& coalescer_;
  Flusher flusher_{*this};
  RoomEventGate eventGate_;
  // Reused by every flush (their storage stays): what was taken from the queue,
  // and the gather write's buffers.
  std::vector<SendQueue::Item> taken_;
  std::vector<SharedBuffer> buffers_;
  Serializer serialize_;
  OverflowFn onOverflow_;
  FrameFn frame_;
  uint64_t lastDropEpisodes_ = 0;

 public:
  // Set by the owner to count egress bytes (e.g. into the Stream's meter).
  std::function<void(uint64_t)> onBytesSent;
};

}  // namespace core
