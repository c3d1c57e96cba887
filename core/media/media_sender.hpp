// MediaSender: the egress half of one network viewer (RTMP play, HTTP-FLV): takes
// packets from the Stream, applies the SendQueue drop policy, and writes the shared
// serialized bytes with merged gather writes. Owned by the viewer session; loop
// thread. Never blocks the Stream: a slow socket only grows this viewer's queue.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "core/loop/tcp_connection.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/packet_batch.hpp"
#include "core/media/room_event_gate.hpp"
#include "core/media/send_queue.hpp"

namespace core {

class MediaSender : public WriteCoalescer::Client {
 public:
  // Returns the packet's wire bytes in this viewer's format (cached per packet).
  using Serializer = std::function<const SharedBuffer&(const MediaPacket&)>;
  // Called once when the viewer fell behind the hard limit; the owner closes.
  using OverflowFn = std::function<void(const std::string& reason)>;

  MediaSender(TcpConnection& conn, WriteCoalescer& coalescer, SendQueue::Limits limits,
              Serializer serializer, OverflowFn onOverflow);
  ~MediaSender() override;

  void send(const MediaPacket& packet);
  // The packet as `bytes` already serialized, of which the first `leadBytes` are
  // never dropped (the packet's leading data, for a sink that takes it).
  void send(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes);
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
  // Call from the connection's onDrained().
  void onDrained();
  // Writes what is queued now (also ends a wait for the merge window).
  void flush() override;

  // Nothing queued and nothing in flight.
  bool idle() const { return queue_.empty() && !conn_.writePending(); }
  uint64_t droppedPackets() const { return queue_.droppedPackets(); }
  uint64_t bytesSent() const { return bytesSent_; }
  // Entries of the storage kept between writes (the flush vectors and the queue's).
  size_t keptEntries() const { return taken_.capacity() + buffers_.capacity() + queue_.capacity(); }
  static constexpr size_t kKeptEntries = 64;  // more is let go after a write
  // Set by the owner to count egress bytes (e.g. into the Stream's meter).
  std::function<void(uint64_t)> onBytesSent;
  // Optional framing around each gather write (HTTP chunked encoding): called with
  // the batch's total size, returns the buffers to put before and after it.
  std::function<std::pair<SharedBuffer, SharedBuffer>(size_t)> frame;
  // Set by the owner: room events reach this viewer only past RoomEventGate's hold-off
  // (a Data RoomEvent packet is dropped, a packet's leading events are cut off).
  bool holdRoomEvents = false;

 private:
  void enqueue(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes);
  void enqueue(SendQueue::Item item);

  // NOTE: what inStep() reads comes first, so a batch's hand-out touches as few
  // cache lines of each viewer as it can.
  TcpConnection& conn_;
  bool overflowed_ = false;
  SendQueue queue_;
  WriteCoalescer& coalescer_;
  RoomEventGate eventGate_;
  // Reused by every flush (their storage stays): what was taken from the queue,
  // and the gather write's buffers.
  std::vector<SendQueue::Item> taken_;
  std::vector<SharedBuffer> buffers_;
  Serializer serialize_;
  OverflowFn onOverflow_;
  int64_t inFlightOldestDue_ = SendQueue::kNever;
  uint64_t bytesSent_ = 0;
  uint64_t lastDropEpisodes_ = 0;
};

}  // namespace core
