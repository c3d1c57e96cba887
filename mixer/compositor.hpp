// Compositor: the body of a program's output thread ("rcP1-pgm"): at each tick of
// its own OutputClock it draws every layer of the scene from its input's latest
// picture (live or repeated, by the StallPolicy) or the slate colour, encodes the
// canvas with x264 and posts the units to the loop. Inputs never make it wait; a
// late tick is skipped, not queued. Lives on its thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/danmaku_layer.hpp"
#include "mixer/mix_encoder.hpp"
#include "mixer/video_encoder.hpp"

namespace mixer {

class Compositor {
 public:
  explicit Compositor(CompositorState& state) : state_(state) {}
  // Runs until the program stops. Errors go to the loop as a StageError.
  void run();

  // yuv420p helpers, public for the tests: fill `rect` of `frame` with the colour
  // 0xRRGGBB (BT.601 limited range), and copy `picture` into `frame` at (x, y),
  // clipped to the frame.
  static void fill(AVFrame* frame, const PixelRect& rect, uint32_t rgb);
  static void blit(AVFrame* frame, const AVFrame* picture, int x, int y);
  struct Yuv {
    uint8_t y, u, v;
  };
  static Yuv toYuv(uint32_t rgb);

 private:
  bool open(std::string& error);
  // The canvas of this tick (`nowMs` on compositorNowMs()'s clock).
  av::FramePtr compose(int64_t nowMs);
  bool encode(AVFrame* frame, int64_t index, std::string& error);
  // The mix up to `ptsMs` (and one frame past it), encoded and posted.
  bool mixAudio(int64_t ptsMs, const Scene& scene, std::string& error);

  CompositorState& state_;
  const av::FilterApi* api_ = nullptr;
  std::unique_ptr<VideoEncoder> encoder_;
  std::unique_ptr<MixEncoder> audio_;
  std::unique_ptr<DanmakuLayer> danmaku_;  // when the program draws the room's danmaku
  // The slate of cell `index` (rendered once per size, colour and text).
  const AVFrame* slate(size_t index, const PixelRect& cell, const Scene& scene);

  struct SlateCache {
    int width = 0, height = 0;
    uint32_t rgb = 0;
    std::string text;
    av::FramePtr frame;  // null when it could not be drawn: the plain colour then
  };
  std::vector<SlateCache> slates_;
  int gopFrames_ = 60;
  int64_t lastKeyIndex_ = INT64_MIN;
};

}  // namespace mixer
