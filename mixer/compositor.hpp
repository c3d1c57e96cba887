// Compositor: the body of a program's output thread ("rcP1-pgm"), or of its preview
// stream's ("rcP1-pvw"): at each tick of its own OutputClock it paints the scene's
// layers (ScenePainter; during a fade both scenes, blended by a linear ramp),
// encodes the canvas with x264 (the program also mixes its audio) and posts the
// units to the loop. Inputs never make it wait; a late tick is skipped, not queued.
// Lives on its thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/danmaku_layer.hpp"
#include "mixer/mix_encoder.hpp"
#include "mixer/scene_painter.hpp"
#include "mixer/video_encoder.hpp"

namespace mixer {

class Compositor {
 public:
  // `preview`: the preview stream's (its canvas, fps and layers; no audio; events
  // posted as rung 1), else the program's (rung 0).
  explicit Compositor(CompositorState& state, bool preview = false)
      : state_(state), preview_(preview) {}
  // Runs until the program stops. Errors go to the loop as a StageError.
  void run();

  // yuv420p helpers, public for the tests: fill `rect` of `frame` with the colour
  // 0xRRGGBB (BT.601 limited range), and copy `picture` into `frame` at (x, y),
  // clipped to the frame.
  static void fill(AVFrame* frame, const PixelRect& rect, uint32_t rgb);
  static void blit(AVFrame* frame, const AVFrame* picture, int x, int y);
  // `picture` (yuv420p, or yuva420p: weighted by its alpha too) at (x, y), both even,
  // clipped, over what is there with `opacity` (0..1; 1 and no alpha: a copy).
  static void blend(AVFrame* frame, const AVFrame* picture, int x, int y, double opacity);
  // `rect` of `frame` mixed with the colour 0xRRGGBB by `opacity` (1: fill()).
  static void fillBlend(AVFrame* frame, const PixelRect& rect, uint32_t rgb, double opacity);
  struct Yuv {
    uint8_t y, u, v;
  };
  static Yuv toYuv(uint32_t rgb);

 private:
  bool open(std::string& error);
  // The finished canvas of this tick (`nowMs` on compositorNowMs()'s clock).
  av::FramePtr compose(int64_t nowMs);
  av::FramePtr canvas();
  std::vector<InputShow> shows(const Scene& scene, int64_t nowMs);
  bool encode(AVFrame* frame, int64_t index, std::string& error);
  // The mix up to `ptsMs` (and one frame past it), encoded and posted.
  bool mixAudio(int64_t ptsMs, const Scene& scene, std::string& error);

  CompositorState& state_;
  const av::FilterApi* api_ = nullptr;
  std::unique_ptr<VideoEncoder> encoder_;
  std::unique_ptr<MixEncoder> audio_;
  const bool preview_;
  CompositorCounters& counters() { return preview_ ? state_.previewCounters : state_.counters; }
  std::unique_ptr<ScenePainter> painter_;
  uint64_t paintedRevision_ = 0;
  int width_ = 0, height_ = 0, fps_ = 30;
  std::unique_ptr<DanmakuLayer> danmaku_;  // the program's (not the preview's) room danmaku
  int gopFrames_ = 60;
  int64_t lastKeyIndex_ = INT64_MIN;
};

}  // namespace mixer
