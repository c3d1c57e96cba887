// DanmakuLayer: the danmaku step of a program's compositor: one call per tick on
// the finished canvas, before encoding, takes the messages the loop queued, places
// each at the program time of its acceptance (the output clock maps the monotonic
// clock to pts) and draws them. Owned by the Compositor; its thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/danmaku_inbox.hpp"
#include "mixer/danmaku_renderer.hpp"

namespace mixer {

class DanmakuLayer {
 public:
  // nullptr with `error` when the font cannot be read.
  static std::unique_ptr<DanmakuLayer> open(int width, int height, const DanmakuSpec& spec,
                                            const std::string& fontFile, DanmakuInbox& inbox,
                                            std::string& error);
  // Draws onto `frame`, the canvas of pts `ptsMs`, due at `dueNs` (steady clock).
  void apply(AVFrame* frame, int64_t ptsMs, int64_t dueNs);

  // The program time (ms) of `acceptedMs` (steady clock) for a tick `ptsMs` due at
  // `dueNs`: pure, public for the tests.
  static int64_t ptsOf(int64_t acceptedMs, int64_t ptsMs, int64_t dueNs) {
    return ptsMs - (dueNs / 1000000 - acceptedMs);
  }

 private:
  DanmakuLayer(std::unique_ptr<DanmakuRenderer> renderer, DanmakuInbox& inbox)
      : renderer_(std::move(renderer)), inbox_(inbox) {}

  std::unique_ptr<DanmakuRenderer> renderer_;
  DanmakuInbox& inbox_;
};

}  // namespace mixer
