// SegmentGrid: where an HLS segment ends and how the first one is numbered, from the
// presentation time alone, so renditions of one source (the same keyframe pts) cut
// the same segments with the same media sequence numbers. Pure; loop thread.
#pragma once

#include <algorithm>
#include <cstdint>

namespace hls {

class SegmentGrid {
 public:
  explicit SegmentGrid(int64_t segmentMs) : segmentMs_(std::max<int64_t>(1, segmentMs)) {}

  // floor(pts / segmentMs), negative pts included.
  int64_t slot(int64_t ptsMs) const {
    const int64_t q = ptsMs / segmentMs_;
    return ptsMs % segmentMs_ < 0 ? q - 1 : q;
  }
  // A boundary frame (a video keyframe) at `ptsMs` starts a new segment when it
  // lies in a later grid slot than the open segment's first frame.
  // NOTE: pts, not dts: a source with B-frames and its renditions without them
  // share the keyframes' pts, while their dts differ by the reorder delay.
  bool crosses(int64_t segmentStartPtsMs, int64_t ptsMs) const {
    return slot(ptsMs) > slot(segmentStartPtsMs);
  }
  // The media sequence number of a playlist's first segment, starting at `ptsMs`;
  // the next ones count on by one.
  uint64_t firstSequence(int64_t ptsMs) const {
    return static_cast<uint64_t>(std::max<int64_t>(0, slot(ptsMs)));
  }

 private:
  int64_t segmentMs_;
};

}  // namespace hls
