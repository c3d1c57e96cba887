// StreamHealth: what a Stream's input looks like (M5 monitoring): measured video fps
// and media bitrate over the last 1 s and 10 s, timestamp gaps, stalls and the
// keyframe interval. Owned by its Stream, fed once per ingested packet; loop thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "core/media/rate_meter.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

class StreamHealth {
 public:
  struct Limits {
    int64_t gapMs = 1000;    // a larger dts step within one track is a gap
    int64_t stallMs = 2000;  // a longer wall-time silence while published is a stall
  };
  // Injected so tests control time: the loop's monotonic ms, and Unix ms for the
  // times the API reports (read only when an event happens and in report()).
  struct Clock {
    std::function<uint64_t()> nowMs;
    std::function<int64_t()> unixMs;
  };
  struct Event {
    int64_t atUnixMs = 0;  // gap: when it came; stall: when the silence began
    int64_t ms = 0;        // gap: the dts step (negative: backwards); stall: its length
  };
  struct Report {
    double fps1s = 0, fps10s = 0;                        // video frames per second of wall time
    uint64_t bitsPerSecond1s = 0, bitsPerSecond10s = 0;  // audio + video payload
    uint64_t gaps = 0;
    std::optional<Event> lastGap;
    uint64_t stalls = 0;
    std::optional<Event> lastStall;
    int64_t stalledForMs = 0;  // the silence going on now, if longer than stallMs
    std::optional<int64_t> keyframeIntervalLastMs;  // media time between video keyframes
    std::optional<double> keyframeIntervalMeanMs;
  };

  StreamHealth(Limits limits, Clock clock);

  // A new publisher: its timestamps, first packet and keyframes start afresh (the
  // time between two publishers is neither a gap nor a stall). Counters are kept.
  void restart();
  // One packet from the publisher, with the publisher's own dts (before the
  // Stream's correction smooths a jump away). O(1).
  void onPacket(const MediaPacket& packet);
  // `published`: whether a publisher is on now (a silence only counts while one is).
  Report report(bool published) const;

 private:
  // Per track (audio, video): its newest dts and its latest gap not yet matched by
  // the other track's.
  struct Track {
    std::optional<int64_t> lastDts;
    std::optional<int64_t> gapStep;
    int64_t gapDts = 0;  // dts of the packet after that gap
  };
  void checkGap(const MediaPacket& packet);
  // Whether a step of `step` to `dts` is the other track's gap `other` seen again.
  bool sameGap(const Track& other, int64_t step, int64_t dts) const;
  void checkKeyframe(const MediaPacket& packet);

  Limits limits_;
  Clock clock_;
  BasicRateMeter<10> frames_;
  BasicRateMeter<10> bytes_;
  std::optional<uint64_t> lastPacketMs_;  // wall time of the newest audio/video packet
  Track tracks_[2];                       // audio, video
  std::optional<int64_t> lastKeyDts_;
  uint64_t gaps_ = 0, stalls_ = 0;
  std::optional<Event> lastGap_, lastStall_;
  std::optional<int64_t> keyIntervalLast_;
  int64_t keyIntervalSum_ = 0;
  uint64_t keyIntervals_ = 0;
};

}  // namespace core
