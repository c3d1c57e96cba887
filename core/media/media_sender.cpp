#include "core/media/media_sender.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

namespace core {

MediaSender::MediaSender(ByteSink& sink, WriteCoalescer& coalescer, SendQueue::Limits limits,
                         Serializer serializer, OverflowFn onOverflow)
    : sink_(sink),
      queue_(limits),
      coalescer_(coalescer),
      serialize_(std::move(serializer)),
      onOverflow_(std::move(onOverflow)) {}

MediaSender::~MediaSender() {
  coalescer_.cancel(flusher_);
}

bool MediaSender::eventsPass(const MediaPacket& packet) {
  if (!holdRoomEvents_) return true;
  const bool pass = eventGate_.pass(packet);
  eventsHeld_ = !eventGate_.open();
  return pass;
}

void MediaSender::send(const MediaPacket& packet) {
  if (overflowed_) return;
  // Every packet goes through the gate (it counts the media); a room event it holds
  // is dropped.
  if (!eventsPass(packet) && packet.codec == Codec::RoomEvent) return;
  enqueue(packet, serialize_(packet), 0);
}

void MediaSender::send(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes) {
  if (overflowed_) return;
  if (!eventsPass(packet) && leadBytes > 0) {
    // The packet's own bytes follow its leading events in the shared buffer.
    enqueue(packet, bytes.slice(leadBytes), 0);
    return;
  }
  enqueue(packet, bytes, leadBytes);
}

void MediaSender::send(const MediaPacket& packet, std::span<const SharedBuffer> parts) {
  if (overflowed_ || parts.empty()) return;
  if (!eventsPass(packet) && packet.codec == Codec::RoomEvent) return;
  enqueue(packet, parts.front(), 0, parts.subspan(1));
}

void MediaSender::enqueue(const MediaPacket& packet, const SharedBuffer& bytes, size_t leadBytes,
                          std::span<const SharedBuffer> more) {
  SendQueue::Item item;
  item.bytes = bytes;
  item.leadBytes = leadBytes;
  item.dts = packet.dts;
  item.kind = packet.kind;
  item.keyframe = packet.keyframe;
  // NOTE: a room event's stream time may run up to a second ahead of the media
  // (a stalled publisher): it is never counted as lag, nor dropped.
  item.mandatory = packet.neverDropped();
  enqueue(std::move(item), more);
}

void MediaSender::sendControl(SharedBuffer bytes) {
  if (overflowed_) return;
  SendQueue::Item item;
  item.bytes = std::move(bytes);
  item.mandatory = true;  // never counted as lag
  enqueue(std::move(item));
  flush();
}

void MediaSender::enqueue(SendQueue::Item item, std::span<const SharedBuffer> more) {
  const auto verdict = queue_.push(std::move(item), inFlightOldestDue_, more);
  if (verdict == SendQueue::Verdict::Overflow) {
    overflowed_ = true;
    coalescer_.cancel(flusher_);
    onOverflow_(
        fmt::format("viewer fell behind the hard limit (socket stalled, {} bytes "
                    "unsent, {} packets dropped)",
                    sink_.queuedBytes() + queue_.bytes(), queue_.droppedPackets()));
    return;
  }
  if (queue_.dropEpisodes() != lastDropEpisodes_) {
    lastDropEpisodes_ = queue_.dropEpisodes();
    spdlog::warn(
        "viewer {}: behind the soft limit, skipping to the next keyframe ({} packets "
        "dropped so far)",
        sink_.peer(), queue_.droppedPackets());
  }
  if (!queue_.empty()) coalescer_.schedule(flusher_);
}

bool MediaSender::inStep(const PacketBatch& batch) const {
  if (overflowed_ || inFlight_ || sinkClosed_ || !queue_.empty() || queue_.skippingToKeyframe() ||
      queue_.bursting())
    return false;
  // The prebuilt bytes hold the window's room events: not for a viewer whose gate
  // still holds them back (nor would the gate see the media it counts).
  if (eventsHeld_) return false;
  if (batch.oldestMediaDts() == PacketBatch::kNoMedia) return true;
  // NOTE: the span pushing the batch into the empty queue would reach; within the
  // soft (and hard) limit, no push would drop anything or overflow.
  const int64_t span =
      std::max(queue_.newestDts(), batch.newestMediaDts()) - batch.oldestMediaDts();
  return span <= queue_.stepSpanMs();
}

bool MediaSender::write(std::span<const SharedBuffer> buffers) {
  switch (sink_.write(buffers)) {
    case ByteSink::Write::Closed:
      sinkClosed_ = true;
      return false;
    case ByteSink::Write::Queued:
      inFlight_ = true;
      return true;
    case ByteSink::Write::Done:
      break;
  }
  return true;
}

bool MediaSender::sendWhole(const PacketBatch& batch, const SharedBuffer& bytes) {
  if (bytes.size() > queue_.limits().maxBytes) return false;
  queue_.noteSent(batch.newestMediaDts(), batch.hasVideo());
  if (bytes.empty()) return true;
  size_t size = bytes.size();
  bool written;
  if (framed_) {
    auto [before, after] = frame_(bytes.size());
    size += before.size() + after.size();
    const std::array<SharedBuffer, 3> parts{std::move(before), bytes, std::move(after)};
    written = write(parts);
  } else {
    written = write(std::span(&bytes, 1));
  }
  if (!written) return true;
  bytesSent_ += size;
  batch.countBytesOut(size);
  const int64_t oldest = batch.oldestMediaDts();
  inFlightOldestDue_ = inFlight_ && oldest != PacketBatch::kNoMedia ? oldest : SendQueue::kNever;
  return true;
}

void MediaSender::flush() {
  coalescer_.cancel(flusher_);
  // One batch in flight at a time: while the socket is slow, packets wait in the
  // queue, where the drop policy can still act on them.
  if (queue_.empty() || inFlight_ || sinkClosed_) return;
  queue_.takeAll(taken_);
  buffers_.clear();
  uint64_t payload = 0;
  for (const auto& it : taken_) payload += it.bytes.size();
  SharedBuffer trailer;
  if (framed_) {
    auto [before, after] = frame_(payload);
    buffers_.push_back(std::move(before));
    trailer = std::move(after);
  }
  for (auto& it : taken_) buffers_.push_back(std::move(it.bytes));
  if (!trailer.empty()) buffers_.push_back(std::move(trailer));
  uint64_t bytes = 0;
  for (const auto& b : buffers_) bytes += b.size();
  const bool written = write(buffers_);
  buffers_.clear();  // the sink holds its own references
  if (written) {
    bytesSent_ += bytes;
    if (onBytesSent) onBytesSent(bytes);
    inFlightOldestDue_ = inFlight_ ? SendQueue::oldestDue(taken_) : SendQueue::kNever;
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
  inFlight_ = false;
  inFlightOldestDue_ = SendQueue::kNever;
  flush();
}

}  // namespace core
