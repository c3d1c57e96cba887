// SendQueue: the per-viewer queue between a Stream and a socket, bounded in media
// time and bytes (the drop policy of nginx-rtmp, in media time). Owned by one
// viewer session; loop thread; pure policy, no I/O.
//  - behind the soft limit: every droppable packet is discarded and the viewer
//    skips ahead to the next video keyframe (audio resumes with it);
//  - behind the hard limit (counting bytes already handed to the socket): the
//    viewer must be disconnected;
//  - config packets and metadata are mandatory and never dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/media/media_packet.hpp"

namespace core {

class SendQueue {
 public:
  struct Limits {
    int64_t softMs = 3000;
    int64_t hardMs = 10000;
    size_t maxBytes = 16 * 1024 * 1024;
  };
  struct Item {
    SharedBuffer bytes;
    int64_t dts = 0;
    MediaKind kind = MediaKind::Data;
    bool keyframe = false;
    bool mandatory = false;
  };
  enum class Verdict { Queued, Dropped, Overflow };

  explicit SendQueue(Limits limits) : limits_(limits) {}

  // `inFlightOldestDts`: dts of the oldest packet handed to the socket and not yet
  // written (nullopt-like INT64_MAX when nothing is in flight).
  Verdict push(Item item, int64_t inFlightOldestDts = INT64_MAX);
  // Hands every queued item to the caller (for one gather write).
  std::vector<Item> takeAll();

  bool empty() const { return items_.empty(); }
  size_t bytes() const { return bytes_; }
  int64_t newestDts() const { return newestDts_; }
  bool skippingToKeyframe() const { return waitKeyframe_; }
  uint64_t droppedPackets() const { return dropped_; }
  uint64_t dropEpisodes() const { return episodes_; }

 private:
  void dropDroppable();

  Limits limits_;
  std::deque<Item> items_;
  size_t bytes_ = 0;
  int64_t newestDts_ = INT64_MIN;
  bool waitKeyframe_ = false;
  uint64_t dropped_ = 0;
  uint64_t episodes_ = 0;
};

}  // namespace core
