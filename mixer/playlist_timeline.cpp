#include "mixer/playlist_timeline.hpp"

#include <algorithm>

namespace mixer {

void PlaylistTimeline::beginItem(int64_t firstDtsMs) {
  offset_ = end_;
  base_ = firstDtsMs;
}

void PlaylistTimeline::idleUntil(int64_t outMs) {
  end_ = std::max(end_, outMs);
}

std::optional<PlaylistTimeline::Mapped> PlaylistTimeline::map(core::MediaKind kind, int64_t dtsMs,
                                                              int64_t ptsMs, int64_t endMs) {
  Mapped m;
  m.dts = offset_ + (dtsMs - base_);
  m.pts = m.dts + std::max<int64_t>(0, ptsMs - dtsMs);
  int64_t outEnd = offset_ + (endMs - base_);
  if (kind == core::MediaKind::Audio) {
    if (m.dts < offset_ || m.dts < lastAudio_) return std::nullopt;
    lastAudio_ = m.dts;
  } else if (kind == core::MediaKind::Video) {
    if (m.dts < lastVideo_) {
      const int64_t shift = lastVideo_ - m.dts;
      m.dts += shift;
      m.pts += shift;
      outEnd += shift;
    }
    lastVideo_ = m.dts;
  }
  end_ = std::max({end_, outEnd, m.dts});
  return m;
}

}  // namespace mixer
