// Id3Batcher: turns room events (stream time + JSON) into timed ID3 tags for HLS
// (S1) and hands each out once the media has reached its time, so a tag lands in
// the segment that covers it, in time order with the frames. One TXXX frame per
// event; events within `windowMs` of a tag's first one share that tag (its PTS is
// the first event's time; each event's own time is inside its JSON). Owned by one
// HLS rendition; loop thread; pure policy.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace hls {

class Id3Batcher {
 public:
  struct Tag {
    int64_t ptsMs = 0;
    std::vector<uint8_t> bytes;  // a whole ID3v2.4 tag
    size_t events = 0;
  };

  // NOTE: well below kMaxId3TagBytes: a tag rides in one PES packet.
  static constexpr size_t kMaxTagBytes = 256 * 1024;
  // Tags waiting for the media (a publisher that stops sending frames); past it the
  // oldest are dropped.
  static constexpr size_t kMaxWaitingTags = 512;

  explicit Id3Batcher(int64_t windowMs) : windowMs_(windowMs) {}

  // `json` is kept by reference (a slice of the event's packet), not copied.
  void add(int64_t ptsMs, core::SharedBuffer json);
  // The tags the media has passed: PTS < `mediaMs` (the frame about to be written,
  // or the end of a closing segment). A group still open is closed first when the
  // media is past its window, or with `closeOpen` (a segment ends).
  std::vector<Tag> takeBefore(int64_t mediaMs, bool closeOpen = false);
  size_t waiting() const { return ready_.size() + (values_.empty() ? 0 : 1); }
  uint64_t dropped() const { return dropped_; }

 private:
  void close();

  int64_t windowMs_;
  std::vector<core::SharedBuffer> values_;  // the open group
  std::vector<std::string_view> views_;     // reused when a group closes
  size_t bytes_ = 0;
  int64_t firstPts_ = 0;
  std::deque<Tag> ready_;  // closed, in PTS order
  uint64_t dropped_ = 0;
};

}  // namespace hls
