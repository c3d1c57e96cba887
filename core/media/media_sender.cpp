#include "core/media/media_sender.hpp"

#include <spdlog/spdlog.h>

namespace core {

MediaSender::MediaSender(TcpConnection& conn, WriteCoalescer& coalescer, SendQueue::Limits limits,
                         Serializer serializer, OverflowFn onOverflow)
    : conn_(conn),
      coalescer_(coalescer),
      queue_(limits),
      serialize_(std::move(serializer)),
      onOverflow_(std::move(onOverflow)) {}

MediaSender::~MediaSender() {
  coalescer_.cancel(*this);
}

void MediaSender::send(const MediaPacket& packet) {
  if (overflowed_) return;
  // Every packet goes through the gate (it counts the media); a room event it holds
  // is dropped.
  const bool eventsPass = !holdRoomEvents || eventGate_.pass(packet);
  if (packet.codec == Codec::RoomEvent && !eventsPass) return;
  enqueue(packet, serialize_(packet), 0);
}

void MediaSender::send(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes) {
  if (overflowed_) return;
  if (holdRoomEvents && !eventGate_.pass(packet) && leadBytes > 0) {
    // The packet's own bytes follow its leading events in the shared buffer.
    enqueue(packet, bytes.slice(leadBytes), 0);
    return;
  }
  enqueue(packet, bytes, leadBytes);
}

void MediaSender::enqueue(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes) {
  SendQueue::Item item;
  item.bytes = bytes;
  item.leadBytes = leadBytes;
  item.dts = packet.dts;
  item.kind = packet.kind;
  item.keyframe = packet.keyframe;
  // NOTE: a room event's stream time may run up to a second ahead of the media
  // (a stalled publisher): it is never counted as lag, nor dropped.
  item.mandatory = packet.config || packet.codec == Codec::RoomEvent;
  enqueue(std::move(item));
}

void MediaSender::sendControl(SharedBuffer bytes) {
  if (overflowed_) return;
  SendQueue::Item item;
  item.bytes = std::move(bytes);
  item.mandatory = true;  // never counted as lag
  enqueue(std::move(item));
  flush();
}

void MediaSender::enqueue(SendQueue::Item item) {
  const auto verdict = queue_.push(std::move(item), inFlightOldestDue_);
  if (verdict == SendQueue::Verdict::Overflow) {
    overflowed_ = true;
    coalescer_.cancel(*this);
    onOverflow_(
        fmt::format("viewer fell behind the hard limit (socket stalled, {} bytes "
                    "unsent, {} packets dropped)",
                    conn_.queuedBytes() + queue_.bytes(), queue_.droppedPackets()));
    return;
  }
  if (queue_.dropEpisodes() != lastDropEpisodes_) {
    lastDropEpisodes_ = queue_.dropEpisodes();
    spdlog::warn(
        "viewer {}: behind the soft limit, skipping to the next keyframe ({} packets "
        "dropped so far)",
        conn_.peer(), queue_.droppedPackets());
  }
  if (!queue_.empty()) coalescer_.schedule(*this);
}

void MediaSender::flush() {
  // One batch in flight at a time: while the socket is slow, packets wait in the
  // queue, where the drop policy can still act on them.
  if (queue_.empty() || conn_.writePending() || conn_.closed()) return;
  queue_.takeAll(taken_);
  buffers_.clear();
  uint64_t payload = 0;
  for (const auto& it : taken_) payload += it.bytes.size();
  SharedBuffer trailer;
  if (frame) {
    auto [before, after] = frame(payload);
    buffers_.push_back(std::move(before));
    trailer = std::move(after);
  }
  for (auto& it : taken_) buffers_.push_back(std::move(it.bytes));
  if (!trailer.empty()) buffers_.push_back(std::move(trailer));
  uint64_t bytes = 0;
  for (const auto& b : buffers_) bytes += b.size();
  const bool written = conn_.write(buffers_);
  buffers_.clear();  // the connection holds its own references
  if (!written) return;
  bytesSent_ += bytes;
  if (onBytesSent) onBytesSent(bytes);
  inFlightOldestDue_ = conn_.writePending() ? SendQueue::oldestDue(taken_) : SendQueue::kNever;
}

void MediaSender::endBurst() {
  queue_.endBurst();
  flush();
}

void MediaSender::onDrained() {
  inFlightOldestDue_ = SendQueue::kNever;
  flush();
}

}  // namespace core
