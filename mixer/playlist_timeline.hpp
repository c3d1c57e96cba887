// PlaylistTimeline: maps each item's own timestamps onto one continuous output
// clock (ms): an item starts one frame after the last one ended (the end of its
// longest track), or later after an idle wait for a start time. Pure; owned by the
// PlaylistPlayer's thread.
#pragma once

#include <cstdint>
#include <optional>

#include "core/packet/media_packet.hpp"

namespace mixer {

class PlaylistTimeline {
 public:
  struct Mapped {
    int64_t dts = 0, pts = 0;
  };

  // A new item whose media starts at `firstDtsMs` on its own clock (its first
  // video dts, or its first audio dts when it has no video): that instant maps
  // to end().
  void beginItem(int64_t firstDtsMs);
  // The next item starts no earlier than `outMs` (the stream idled until then).
  void idleUntil(int64_t outMs);
  // A packet of the current item: its dts/pts on the item's clock and where its
  // duration ends (dts + duration, on the item's clock). nullopt: dropped — audio
  // before the item's start (AAC priming before the first picture) or going back.
  // A video dts going back is clamped to the last one (a decoder copes; a gap
  // would not).
  std::optional<Mapped> map(core::MediaKind kind, int64_t dtsMs, int64_t ptsMs, int64_t endMs);

  // Where the next item starts: the furthest end of any packet so far.
  int64_t end() const { return end_; }
  // Where the current item started on the output clock.
  int64_t itemStart() const { return offset_; }

 private:
  int64_t end_ = 0;
  int64_t offset_ = 0;  // output ms of the item's first dts
  int64_t base_ = 0;    // the item's first dts (its own ms)
  int64_t lastVideo_ = INT64_MIN, lastAudio_ = INT64_MIN;
};

}  // namespace mixer
