#include "protocols/webrtc/rtp_timeline.hpp"

#include <cmath>
#include <cstdlib>

namespace webrtc {
namespace {

constexpr uint32_t kTimelineHalfRange = 0x80000000u;

// NTP 32.32 fixed point -> ms (the era does not matter: only differences are used).
double timelineNtpMs(uint64_t ntp) {
  return static_cast<double>(ntp >> 32) * 1000.0 +
         static_cast<double>(ntp & 0xffffffffu) * 1000.0 / 4294967296.0;
}

}  // namespace

RtpTimeline::RtpTimeline(uint32_t videoClockRate, uint32_t audioClockRate) {
  clocks_[0].rate = videoClockRate > 0 ? videoClockRate : 90000;
  clocks_[1].rate = audioClockRate > 0 ? audioClockRate : 48000;
}

int64_t RtpTimeline::unwrap(Clock& clock, uint32_t ts, bool remember) {
  int64_t cycles = clock.cycles;
  if (clock.last) {
    // A jump backwards by more than half the range is a wrap; forwards, a late
    // packet (or report) from before it.
    if (ts<*clock.last&& * clock.last - ts> kTimelineHalfRange) ++cycles;
    if (ts > *clock.last && ts - *clock.last > kTimelineHalfRange) --cycles;
  }
  if (remember) {
    clock.cycles = cycles;
    clock.last = ts;
  }
  return cycles * (int64_t{1} << 32) + ts;
}

int64_t RtpTimeline::ms(Track track, uint32_t rtpTimestamp, int64_t arrivalMs) {
  Clock& clock = clocks_[static_cast<size_t>(track)];
  const int64_t unwrapped = unwrap(clock, rtpTimestamp, true);
  if (!clock.first) {
    clock.first = unwrapped;
    clock.anchorMs = arrivalMs;
    if (clock.earlyReport) {
      // NOTE: the report is near the first packet: their 32-bit difference is signed.
      const auto ticks = static_cast<int32_t>(clock.earlyReport->second - rtpTimestamp);
      clock.captureMs = clock.earlyReport->first - static_cast<double>(ticks) * 1000.0 / clock.rate;
      clock.earlyReport.reset();
      resync();
    }
  }
  const int64_t ms = clock.anchorMs + (unwrapped - *clock.first) * 1000 / clock.rate;
  return track == Track::Audio ? ms + audioOffsetMs_ : ms;
}

std::optional<RtpTimeline::Sync> RtpTimeline::onSenderReport(Track track, uint64_t ntp,
                                                             uint32_t rtpTimestamp) {
  Clock& clock = clocks_[static_cast<size_t>(track)];
  if (!clock.first) {
    clock.earlyReport.emplace(timelineNtpMs(ntp), rtpTimestamp);
    return std::nullopt;
  }
  const int64_t unwrapped = unwrap(clock, rtpTimestamp, false);
  clock.captureMs =
      timelineNtpMs(ntp) - static_cast<double>(unwrapped - *clock.first) * 1000.0 / clock.rate;
  resync();
  return takeSync();
}

void RtpTimeline::resync() {
  const Clock& video = clocks_[0];
  const Clock& audio = clocks_[1];
  if (!video.captureMs || !audio.captureMs) return;
  // The audio's first packet belongs where the video's first packet is plus the time
  // between their captures; its arrival anchor put it elsewhere.
  const double target = static_cast<double>(video.anchorMs) + (*audio.captureMs - *video.captureMs);
  const auto offset =
      static_cast<int64_t>(std::llround(target - static_cast<double>(audio.anchorMs)));
  if (std::llabs(offset) > kMaxSyncMs) {
    ++rejected_;
    return;
  }
  if (synced_ && std::llabs(offset - audioOffsetMs_) <= kResyncMs) return;
  pending_ = Sync{offset, offset - audioOffsetMs_};
  audioOffsetMs_ = offset;
  synced_ = true;
}

}  // namespace webrtc
