#include "mixer/compositor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"
#include "mixer/output_clock.hpp"

namespace mixer {

namespace {

int64_t compositorNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

uint8_t compositorClamp(double v) {
  return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L));
}

// Where plane `plane` of `picture` placed at (x, y) lands in `frame`: its position and
// the size left after clipping (w or h <= 0: nothing). x and y are even
// (LayoutGeometry), so the chroma planes line up at x/2, y/2.
struct CompositorPlaneSpan {
  int shift, px, py, w, h;
  bool empty() const { return px < 0 || py < 0 || w <= 0 || h <= 0; }
};

CompositorPlaneSpan compositorPlaneSpan(const AVFrame* frame, const AVFrame* picture, int x, int y,
                                        int plane) {
  const int shift = plane == 0 ? 0 : 1;
  const int px = x >> shift, py = y >> shift;
  const int fw = (frame->width + shift) >> shift, fh = (frame->height + shift) >> shift;
  const int pw = (picture->width + shift) >> shift, ph = (picture->height + shift) >> shift;
  return {shift, px, py, std::min(pw, fw - px), std::min(ph, fh - py)};
}

}  // namespace

Compositor::Yuv Compositor::toYuv(uint32_t rgb) {
  const double r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
  return {compositorClamp(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
          compositorClamp(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
          compositorClamp(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255)};
}

void Compositor::fill(AVFrame* frame, const PixelRect& rect, uint32_t rgb) {
  const int x0 = std::max(rect.x, 0), y0 = std::max(rect.y, 0);
  const int x1 = std::min(rect.x + rect.w, frame->width);
  const int y1 = std::min(rect.y + rect.h, frame->height);
  if (x1 <= x0 || y1 <= y0) return;
  const Yuv c = toYuv(rgb);
  for (int y = y0; y < y1; ++y)
    std::memset(frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0] + x0, c.y,
                static_cast<size_t>(x1 - x0));
  const int cx0 = x0 / 2, cx1 = (x1 + 1) / 2;
  for (int y = y0 / 2; y < (y1 + 1) / 2; ++y) {
    std::memset(frame->data[1] + static_cast<ptrdiff_t>(y) * frame->linesize[1] + cx0, c.u,
                static_cast<size_t>(cx1 - cx0));
    std::memset(frame->data[2] + static_cast<ptrdiff_t>(y) * frame->linesize[2] + cx0, c.v,
                static_cast<size_t>(cx1 - cx0));
  }
}

void Compositor::blit(AVFrame* frame, const AVFrame* picture, int x, int y) {
  for (int plane = 0; plane < 3; ++plane) {
    const CompositorPlaneSpan span = compositorPlaneSpan(frame, picture, x, y, plane);
    if (span.empty()) continue;
    const auto [shift, px, py, w, h] = span;
    for (int row = 0; row < h; ++row)
      std::memcpy(
          frame->data[plane] + static_cast<ptrdiff_t>(py + row) * frame->linesize[plane] + px,
          picture->data[plane] + static_cast<ptrdiff_t>(row) * picture->linesize[plane],
          static_cast<size_t>(w));
  }
}

void Compositor::blend(AVFrame* frame, const AVFrame* picture, int x, int y, double opacity) {
  const bool alpha = picture->format == AV_PIX_FMT_YUVA420P;
  if (!alpha && opacity >= 1.0) return blit(frame, picture, x, y);
  const int k = static_cast<int>(std::lround(std::clamp(opacity, 0.0, 1.0) * 255));
  if (k == 0) return;
  for (int plane = 0; plane < 3; ++plane) {
    const CompositorPlaneSpan span = compositorPlaneSpan(frame, picture, x, y, plane);
    if (span.empty()) continue;
    const auto [shift, px, py, w, h] = span;
    for (int row = 0; row < h; ++row) {
      uint8_t* d =
          frame->data[plane] + static_cast<ptrdiff_t>(py + row) * frame->linesize[plane] + px;
      const uint8_t* s =
          picture->data[plane] + static_cast<ptrdiff_t>(row) * picture->linesize[plane];
      // NOTE: a chroma sample takes the alpha of the top-left luma sample of its 2x2.
      const uint8_t* a = alpha ? picture->data[3] + static_cast<ptrdiff_t>(std::min(
                                                        row << shift, picture->height - 1)) *
                                                        picture->linesize[3]
                               : nullptr;
      for (int col = 0; col < w; ++col) {
        const int ak = a ? a[std::min(col << shift, picture->width - 1)] * k / 255 : k;
        d[col] = static_cast<uint8_t>((s[col] * ak + d[col] * (255 - ak) + 127) / 255);
      }
    }
  }
}

void Compositor::fillBlend(AVFrame* frame, const PixelRect& rect, uint32_t rgb, double opacity) {
  if (opacity >= 1.0) return fill(frame, rect, rgb);
  const int k = static_cast<int>(std::lround(std::clamp(opacity, 0.0, 1.0) * 255));
  const int x0 = std::max(rect.x, 0), y0 = std::max(rect.y, 0);
  const int x1 = std::min(rect.x + rect.w, frame->width);
  const int y1 = std::min(rect.y + rect.h, frame->height);
  if (k == 0 || x1 <= x0 || y1 <= y0) return;
  const Yuv c = toYuv(rgb);
  auto mix = [k](uint8_t* row, int from, int to, uint8_t v) {
    for (int i = from; i < to; ++i)
      row[i] = static_cast<uint8_t>((v * k + row[i] * (255 - k) + 127) / 255);
  };
  for (int y = y0; y < y1; ++y)
    mix(frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0], x0, x1, c.y);
  for (int y = y0 / 2; y < (y1 + 1) / 2; ++y) {
    mix(frame->data[1] + static_cast<ptrdiff_t>(y) * frame->linesize[1], x0 / 2, (x1 + 1) / 2, c.u);
    mix(frame->data[2] + static_cast<ptrdiff_t>(y) * frame->linesize[2], x0 / 2, (x1 + 1) / 2, c.v);
  }
}

bool Compositor::open(std::string& error) {
  api_ = state_.libs.filter(error);
  if (!api_) return false;
  const CompositorSettings& s = state_.settings;
  painter_ = std::make_unique<ScenePainter>(state_, *api_);
  width_ = preview_ ? s.previewWidth : s.width;
  height_ = preview_ ? s.previewHeight : s.height;
  fps_ = preview_ ? s.previewFps : s.fps;
  gopFrames_ = std::max(1, static_cast<int>(std::lround(s.gopMs * fps_ / 1000.0)));
  X264Settings x;
  x.preset = s.preset;
  x.tune = "zerolatency";
  // NOTE: the preview is a monitor: an eighth of the program's rate is plenty for
  // a quarter of its area at a third of its fps.
  x.bitRate = int64_t{preview_ ? std::max(100, s.kbps / 8) : s.kbps} * 1000;
  x.maxRate = x.bitRate * 11 / 10;
  x.bufSize = x.bitRate * 3 / 2;
  x.gop = gopFrames_ * 10;  // a safety net: the keys are forced every gop_ms
  x.keyintMin = gopFrames_;
  x.scThreshold = 0;
  x.forcedIdr = true;
  // NOTE: x264's slice threads (zerolatency) for 720p and up: one core encodes
  // 720p30 ultrafast with little headroom once the canvas and inputs share it.
  x.threads = width_ * height_ >= 1280 * 720 ? 2 : 1;
  // NOTE: the audio config goes first, so the program's metadata names both codecs.
  if (!preview_) {
    audio_ = MixEncoder::open(*api_, s.audioKbps, error);
    if (!audio_) return false;
    state_.post(MixerEvent{s.id, 0, false, AudioConfig{audio_->audioSpecificConfig()}});
    if (s.danmaku) {
      // NOTE: a font that cannot be read costs the danmaku, not the program.
      std::string why;
      danmaku_ = DanmakuLayer::open(width_, height_, *s.danmaku, s.fontFile, state_.danmaku, why);
      if (!danmaku_) spdlog::error("program {}: no danmaku drawn: {}", s.key, why);
    }
  }
  encoder_ = VideoEncoder::open(*api_, EncoderSettings{width_, height_, double(fps_), x}, error);
  if (!encoder_) return false;
  state_.post(MixerEvent{s.id, preview_ ? 1u : 0u, false, RungConfig{encoder_->avcConfig()}});
  return true;
}

void Compositor::run() {
  std::string error;
  auto fail = [&] {
    state_.post(MixerEvent{state_.settings.id, preview_ ? 1u : 0u, false,
                           StageError{preview_ ? "preview" : "compositor", error}});
  };
  if (!open(error)) return fail();
  OutputClock clock(fps_, compositorNowNs());
  while (true) {
    {
      const std::chrono::steady_clock::time_point due{std::chrono::nanoseconds(clock.nextDueNs())};
      std::unique_lock lock(state_.waitMutex);
      state_.waitCv.wait_until(lock, due,
                               [&] { return state_.stop.load(std::memory_order_acquire); });
    }
    if (state_.stop.load(std::memory_order_acquire)) return;
    const int64_t start = compositorNowNs();
    if (start < clock.nextDueNs()) continue;  // a spurious early wake-up
    const OutputClock::Tick tick = clock.take(start);
    CompositorCounters& c = counters();
    c.skipped.fetch_add(tick.skipped, std::memory_order_relaxed);
    av::FramePtr frame = compose(start / 1000000);
    if (!frame) {
      error = "out of memory for the canvas";
      return fail();
    }
    frame->pts = tick.ptsMs;
    if (danmaku_) danmaku_->apply(frame.get(), tick.ptsMs, clock.dueNs(tick.index));
    if (!encode(frame.get(), tick.index, error)) return fail();
    if (!preview_ && !mixAudio(tick.ptsMs, state_.scene(), error)) return fail();
    const int64_t last = c.lastPts.exchange(tick.ptsMs, std::memory_order_relaxed);
    if (last >= 0) c.mediaMs.fetch_add(tick.ptsMs - last, std::memory_order_relaxed);
    c.busyNs.fetch_add(compositorNowNs() - start, std::memory_order_relaxed);
  }
}

av::FramePtr Compositor::canvas() {
  av::FramePtr frame = av::makeFrame(*api_);
  if (!frame) return nullptr;
  frame->width = width_;
  frame->height = height_;
  frame->format = AV_PIX_FMT_YUV420P;
  if (api_->av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  return frame;
}

std::vector<InputShow> Compositor::shows(const Scene& scene, int64_t nowMs) {
  // NOTE: every input's state, drawn or not: the API's `state` of an input the
  // scene leaves out tells whether it could be shown (co-host waits for "live").
  std::vector<InputShow> out(state_.slots.size());
  for (size_t i = 0; i < state_.slots.size(); ++i) {
    InputSlot& slot = *state_.slots[i];
    const int64_t last = slot.lastFrameMs.load(std::memory_order_relaxed);
    out[i] =
        scene.policy.showAt(last == INT64_MIN ? std::nullopt : std::optional<int64_t>(last), nowMs);
    if (!preview_) slot.shown.store(static_cast<uint8_t>(out[i]), std::memory_order_relaxed);
  }
  return out;
}

av::FramePtr Compositor::compose(int64_t nowMs) {
  av::FramePtr frame = canvas();
  if (!frame) return nullptr;
  uint64_t revision = 0;
  const Scene scene = state_.scene(&revision);
  if (revision != paintedRevision_) {
    painter_->keepImagesOf(scene);
    paintedRevision_ = revision;
  }
  const std::vector<InputShow> now = shows(scene, nowMs);
  if (preview_ || scene.incoming.empty()) {
    painter_->paint(frame.get(), preview_ ? scene.preview : scene.layers, now, scene);
    return frame;
  }
  // A fade: both scenes painted, the next one over the current by a linear ramp.
  const double t = static_cast<double>(nowMs - scene.fadeStartMs) / std::max(1, scene.fadeMs);
  if (t >= 1.0) {
    painter_->paint(frame.get(), scene.incoming, now, scene);
    return frame;
  }
  painter_->paint(frame.get(), scene.layers, now, scene);
  if (t <= 0.0) return frame;
  av::FramePtr next = canvas();
  if (!next) return nullptr;
  painter_->paint(next.get(), scene.incoming, now, scene);
  blend(frame.get(), next.get(), 0, 0, t);
  return frame;
}

bool Compositor::mixAudio(int64_t ptsMs, const Scene& scene, std::string& error) {
  // NOTE: the audio runs on the same clock as the pictures: after tick t the mix
  // covers t plus one AAC frame, so audio is never behind the video it goes with.
  const int64_t until = (ptsMs + 1) * MixBus::kRate / 1000 + MixEncoder::kFrameSamples;
  std::vector<EncodedAudio> out;
  while (audio_->samplesIn() < until) {
    float left[MixEncoder::kFrameSamples], right[MixEncoder::kFrameSamples];
    state_.bus.mix(left, right, MixEncoder::kFrameSamples, scene.gains);
    if (!audio_->encode(left, right, out, error)) return false;
  }
  for (EncodedAudio& a : out) {
    state_.counters.audioFrames.fetch_add(1, std::memory_order_relaxed);
    state_.post(MixerEvent{state_.settings.id, 0, false, std::move(a)});
  }
  return true;
}

bool Compositor::encode(AVFrame* frame, int64_t index, std::string& error) {
  CompositorCounters& c = counters();
  std::atomic<bool>& asked = preview_ ? state_.previewKeyRequested : state_.keyRequested;
  const bool key = lastKeyIndex_ == INT64_MIN || index - lastKeyIndex_ >= gopFrames_ ||
                   asked.exchange(false, std::memory_order_relaxed);
  if (key) {
    lastKeyIndex_ = index;
    c.keyframes.fetch_add(1, std::memory_order_relaxed);
  }
  if (!encoder_->send(frame, key, error)) return false;
  while (true) {
    EncodedUnit unit;
    switch (encoder_->receive(unit, error)) {
      case CodecResult::Frame:
        c.framesOut.fetch_add(1, std::memory_order_relaxed);
        state_.post(MixerEvent{state_.settings.id, preview_ ? 1u : 0u, false, std::move(unit)});
        break;
      case CodecResult::Again:
      case CodecResult::End:
        return true;
      case CodecResult::Failed:
        return false;
    }
  }
}

}  // namespace mixer
