// SendQueue: the per-viewer queue between a Stream and a socket, bounded in media
// time and bytes (the drop policy of nginx-rtmp, in media time). Owned by one
// viewer session; loop thread; pure policy, no I/O.
//  - behind the soft limit: every droppable packet is discarded and the viewer
//    skips ahead to the next video keyframe (audio resumes with it);
//  - behind the hard limit (counting bytes already handed to the socket): the
//    viewer must be disconnected;
//  - config packets, metadata and protocol messages are mandatory: never dropped
//    and never counted as lag; so are an item's leading bytes (the room events
//    written just before a media packet): dropping the packet keeps them;
//  - a join burst (headers + cached GOP) counts as due at the moment it ends, so a
//    long cached GOP is not mistaken for a viewer that fell behind;
//  - a packet of a datagram format is several items (its parts): the first one and
//    its continuations are kept or dropped together, and lie next to each other.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

class SendQueue {
 public:
  struct Limits {
    int64_t softMs = 3000;
    int64_t hardMs = 10000;
    size_t maxBytes = 16 * 1024 * 1024;
  };
  // An Item's due time for kNever never counts toward lag.
  static constexpr int64_t kNever = INT64_MAX;

  struct Item {
    SharedBuffer bytes;
    // The first `leadBytes` of `bytes` (room events written just before the
    // packet) are, like a mandatory item, never dropped: when the packet is, the
    // item stays as a mandatory one of those bytes.
    size_t leadBytes = 0;
    int64_t dts = 0;
    int64_t due = 0;  // the stream time by which it should be sent (lag is measured on it)
    MediaKind kind = MediaKind::Data;
    bool keyframe = false;
    bool mandatory = false;
    // A later part of the packet of the item before it (same facts, own bytes).
    bool continuation = false;
  };
  enum class Verdict { Queued, Dropped, Overflow };

  explicit SendQueue(Limits limits)
      : stepSpanMs_(std::min(limits.softMs, limits.hardMs)), limits_(limits) {}

  // `inFlightOldestDue`: due time of the oldest packet handed to the socket and
  // not yet written (kNever when nothing is in flight). Sets item.due. `more`: the
  // packet's later parts, queued after it as continuations of `item`.
  Verdict push(Item item, int64_t inFlightOldestDue = kNever,
               std::span<const SharedBuffer> more = {});
  // Between these, nothing is dropped; at the end the burst counts as due now.
  void beginBurst() { bursting_ = true; }
  void endBurst();
  // Hands every queued item to the caller (for one gather write): `out` is cleared
  // and swapped with the queue, so the two vectors' storage is reused and a steady
  // flow of packets allocates nothing.
  void takeAll(std::vector<Item>& out);
  // The earliest due time among `items` (kNever if none counts).
  static int64_t oldestDue(const std::vector<Item>& items);

  bool empty() const { return items_.empty(); }
  size_t capacity() const { return items_.capacity(); }
  size_t bytes() const { return bytes_; }
  int64_t newestDts() const { return newestDts_; }
  bool skippingToKeyframe() const { return waitKeyframe_; }
  bool bursting() const { return bursting_; }
  const Limits& limits() const { return limits_; }
  // The media span a queue may reach without dropping: min(softMs, hardMs).
  int64_t stepSpanMs() const { return stepSpanMs_; }
  // What pushing and taking items with these facts would have left behind, for
  // items written without passing through the queue (MediaSender::sendWhole):
  // the newest timed dts (INT64_MIN: none) and whether one was video.
  void noteSent(int64_t newestDts, bool video);
  uint64_t droppedPackets() const { return dropped_; }
  uint64_t dropEpisodes() const { return episodes_; }

 private:
  void dropDroppable();
  // Drops the packet of `item`, keeping its leading bytes as a mandatory item;
  // false if nothing is left of it.
  bool dropMedia(Item& item);
  int64_t oldestQueuedDue() const;
  void append(Item item, std::span<const SharedBuffer> more);

  // NOTE: what MediaSender::inStep() reads comes first (48 bytes): with the
  // sender's own first 16 it fills one cache line.
  // A vector, not a deque: it is only appended to and taken whole, and a deque
  // allocated a node whenever a flush's items crossed a node boundary.
  std::vector<Item> items_;
  int64_t newestDts_ = INT64_MIN;
  int64_t stepSpanMs_;
  bool waitKeyframe_ = false;
  bool bursting_ = false;
  bool sawVideo_ = false;
  Limits limits_;
  size_t bytes_ = 0;
  uint64_t dropped_ = 0;
  uint64_t episodes_ = 0;
};

}  // namespace core
