// KeyframeAsker: a segmenter's requests for keyframes of a stream whose publisher
// sends them only when asked (a WHIP session; Stream::keyframesOnRequest): asked when
// a segment is due or while the segmenter waits for a keyframe to start, and again
// every `intervalMs` of media time until one comes (the Stream merges requests that
// come close together, so one may be lost). Owned by a segmenter; loop thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/media/stream_registry.hpp"

namespace hls {

class KeyframeAsker {
 public:
  KeyframeAsker(std::string key, int64_t intervalMs)
      : key_(std::move(key)), intervalMs_(intervalMs) {}

  // A keyframe is wanted at media time `dts`.
  void need(core::StreamRegistry* registry, int64_t dts, std::string_view who) {
    if (lastAskDts_ && dts - *lastAskDts_ < intervalMs_ && dts >= *lastAskDts_) return;
    lastAskDts_ = dts;
    if (registry && registry->keyframesOnRequest(key_)) registry->requestKeyframe(key_, who);
  }
  // A keyframe came: the next need asks at once.
  void satisfied() { lastAskDts_.reset(); }

 private:
  std::string key_;
  int64_t intervalMs_;
  std::optional<int64_t> lastAskDts_;
};

}  // namespace hls
