#include "core/media/stream_health.hpp"

#include <utility>

namespace core {

StreamHealth::StreamHealth(Limits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {}

void StreamHealth::restart() {
  lastPacketMs_.reset();
  tracks_[0] = Track{};
  tracks_[1] = Track{};
  lastKeyDts_.reset();
  keyIntervalLast_.reset();
  keyIntervalSum_ = 0;
  keyIntervals_ = 0;
}

void StreamHealth::onPacket(const MediaPacket& packet) {
  if (packet.kind == MediaKind::Data) return;
  const uint64_t now = clock_.nowMs();
  if (lastPacketMs_ && now - *lastPacketMs_ > static_cast<uint64_t>(limits_.stallMs)) {
    // NOTE: counted when media resumes; the silence going on is reported by
    // report() as stalledForMs.
    const auto silence = static_cast<int64_t>(now - *lastPacketMs_);
    ++stalls_;
    lastStall_ = Event{clock_.unixMs() - silence, silence};
  }
  lastPacketMs_ = now;
  // Sequence headers carry no media time of their own (often 0): not a step.
  if (packet.config) return;
  bytes_.add(packet.payload.size(), now);
  if (packet.isVideo()) frames_.add(1, now);
  checkGap(packet);
  if (packet.isVideo() && packet.keyframe) checkKeyframe(packet);
}

void StreamHealth::checkGap(const MediaPacket& packet) {
  Track& track = tracks_[packet.isVideo() ? 1 : 0];
  Track& other = tracks_[packet.isVideo() ? 0 : 1];
  if (track.lastDts) {
    const int64_t step = packet.dts - *track.lastDts;
    if (step > limits_.gapMs || step < -limits_.gapMs) {
      // NOTE: a source that jumps jumps in both tracks, one after the other (as
      // the muxer interleaved them): that is one gap, not two.
      if (sameGap(other, step, packet.dts)) {
        other.gapStep.reset();
      } else {
        ++gaps_;
        lastGap_ = Event{clock_.unixMs(), step};
        track.gapStep = step;
        track.gapDts = packet.dts;
      }
      // The keyframe interval across a gap is not the source's GOP.
      if (packet.isVideo()) lastKeyDts_.reset();
    }
  }
  track.lastDts = packet.dts;
}

bool StreamHealth::sameGap(const Track& other, int64_t step, int64_t dts) const {
  if (!other.gapStep || !other.lastDts) return false;
  const auto near = [this](int64_t a, int64_t b) {
    return a - b <= limits_.gapMs && b - a <= limits_.gapMs;
  };
  // A step of about the same size, landing where the other track is now, soon
  // after the other's gap (in its media time).
  return near(step, *other.gapStep) && near(dts, *other.lastDts) &&
         *other.lastDts - other.gapDts <= limits_.gapMs;
}

void StreamHealth::checkKeyframe(const MediaPacket& packet) {
  if (lastKeyDts_ && packet.dts > *lastKeyDts_) {
    const int64_t interval = packet.dts - *lastKeyDts_;
    keyIntervalLast_ = interval;
    keyIntervalSum_ += interval;
    ++keyIntervals_;
  }
  lastKeyDts_ = packet.dts;
}

StreamHealth::Report StreamHealth::report(bool published) const {
  const uint64_t now = clock_.nowMs();
  Report r;
  r.fps1s = frames_.perSecond(now, 1);
  r.fps10s = frames_.perSecond(now, 10);
  r.bitsPerSecond1s = bytes_.bitsPerSecond(now, 1);
  r.bitsPerSecond10s = bytes_.bitsPerSecond(now, 10);
  r.gaps = gaps_;
  r.lastGap = lastGap_;
  r.stalls = stalls_;
  r.lastStall = lastStall_;
  if (published && lastPacketMs_ && now - *lastPacketMs_ > static_cast<uint64_t>(limits_.stallMs))
    r.stalledForMs = static_cast<int64_t>(now - *lastPacketMs_);
  r.keyframeIntervalLastMs = keyIntervalLast_;
  if (keyIntervals_ > 0)
    r.keyframeIntervalMeanMs =
        static_cast<double>(keyIntervalSum_) / static_cast<double>(keyIntervals_);
  return r;
}

}  // namespace core
