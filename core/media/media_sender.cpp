#include "core/media/media_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace core {

MediaSender::MediaSender(TcpConnection& conn, WriteCoalescer& coalescer, SendQueue::Limits limits,
                         Serializer serializer, OverflowFn onOverflow)
    : conn_(conn),
      queue_(limits),
      coalescer_(coalescer),
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
  item.mandatory = packet.neverDropped();
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

bool MediaSender::inStep(const PacketBatch& batch) const {
  if (overflowed_ || !queue_.empty() || queue_.skippingToKeyframe() || queue_.bursting() ||
      conn_.writePending() || conn_.closed())
    return false;
  // The prebuilt bytes hold the window's room events: not for a viewer whose gate
  // still holds them back (nor would the gate see the media it counts).
  if (holdRoomEvents && !eventGate_.open()) return false;
  if (batch.oldestMediaDts() == PacketBatch::kNoMedia) return true;
  // NOTE: the span pushing the batch into the empty queue would reach; within the
  // soft (and hard) limit, no push would drop anything or overflow.
  const auto& limits = queue_.limits();
  const int64_t span =
      std::max(queue_.newestDts(), batch.newestMediaDts()) - batch.oldestMediaDts();
  return span <= std::min(limits.softMs, limits.hardMs);
}

bool MediaSender::sendWhole(const PacketBatch& batch, const SharedBuffer& bytes) {
  if (bytes.size() > queue_.limits().maxBytes) return false;
  queue_.noteSent(batch.newestMediaDts(), batch.hasVideo());
  if (bytes.empty()) return true;
  size_t size = bytes.size();
  bool written;
  if (frame) {
    auto [before, after] = frame(bytes.size());
    size += before.size() + after.size();
    const std::array<SharedBuffer, 3> parts{std::move(before), bytes, std::move(after)};
    written = conn_.write(parts);
  } else {
    written = conn_.write(bytes);
  }
  if (!written) return true;
  bytesSent_ += size;
  batch.countBytesOut(size);
  const int64_t oldest = batch.oldestMediaDts();
  inFlightOldestDue_ =
      conn_.writePending() && oldest != PacketBatch::kNoMedia ? oldest : SendQueue::kNever;
  return true;
}

void MediaSender::flush() {
  coalescer_.cancel(*this);
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
  if (written) {
    bytesSent_ += bytes;
    if (onBytesSent) onBytesSent(bytes);
    inFlightOldestDue_ = conn_.writePending() ? SendQueue::oldestDue(taken_) : SendQueue::kNever;
  }
  // NOTE: a join burst (headers and the whole cached GOP) grows these to hundreds
  // of entries, and a viewer in step with the stream then needs none: storage that
  // big is not kept for the rest of the session (it was most of a viewer's memory).
  if (taken_.capacity() > kKeptEntries) std::vector<SendQueue::Item>().swap(taken_);
  if (buffers_.capacity() > kKeptEntries) std::vector<SharedBuffer>().swap(buffers_);
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
