#include "mixer/compositor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"
#include "mixer/output_clock.hpp"
#include "mixer/slate_renderer.hpp"

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
  // NOTE: x and y are even (LayoutGeometry), so the chroma planes line up at x/2, y/2.
  for (int plane = 0; plane < 3; ++plane) {
    const int shift = plane == 0 ? 0 : 1;
    const int px = x >> shift, py = y >> shift;
    const int fw = (frame->width + shift) >> shift, fh = (frame->height + shift) >> shift;
    const int pw = (picture->width + shift) >> shift, ph = (picture->height + shift) >> shift;
    const int w = std::min(pw, fw - px), h = std::min(ph, fh - py);
    if (px < 0 || py < 0 || w <= 0 || h <= 0) continue;
    for (int row = 0; row < h; ++row)
      std::memcpy(
          frame->data[plane] + static_cast<ptrdiff_t>(py + row) * frame->linesize[plane] + px,
          picture->data[plane] + static_cast<ptrdiff_t>(row) * picture->linesize[plane],
          static_cast<size_t>(w));
  }
}

bool Compositor::open(std::string& error) {
  api_ = state_.libs.filter(error);
  if (!api_) return false;
  const CompositorSettings& s = state_.settings;
  gopFrames_ = std::max(1, static_cast<int>(std::lround(s.gopMs * s.fps / 1000.0)));
  X264Settings x;
  x.preset = s.preset;
  x.tune = "zerolatency";
  x.bitRate = int64_t{s.kbps} * 1000;
  x.maxRate = x.bitRate * 11 / 10;
  x.bufSize = x.bitRate * 3 / 2;
  x.gop = gopFrames_ * 10;  // a safety net: the keys are forced every gop_ms
  x.keyintMin = gopFrames_;
  x.scThreshold = 0;
  x.forcedIdr = true;
  // NOTE: x264's slice threads (zerolatency) for 720p and up: one core encodes
  // 720p30 ultrafast with little headroom once the canvas and inputs share it.
  x.threads = s.width * s.height >= 1280 * 720 ? 2 : 1;
  // NOTE: the audio config goes first, so the program's metadata names both codecs.
  audio_ = MixEncoder::open(*api_, s.audioKbps, error);
  if (!audio_) return false;
  state_.post(MixerEvent{s.id, 0, false, AudioConfig{audio_->audioSpecificConfig()}});
  if (s.danmaku) {
    // NOTE: a font that cannot be read costs the danmaku, not the program.
    std::string why;
    danmaku_ = DanmakuLayer::open(s.width, s.height, *s.danmaku, s.fontFile, state_.danmaku, why);
    if (!danmaku_) spdlog::error("program {}: no danmaku drawn: {}", s.key, why);
  }
  encoder_ = VideoEncoder::open(*api_, EncoderSettings{s.width, s.height, double(s.fps), x}, error);
  if (!encoder_) return false;
  state_.post(MixerEvent{s.id, 0, false, RungConfig{encoder_->avcConfig()}});
  return true;
}

void Compositor::run() {
  std::string error;
  auto fail = [&] {
    state_.post(MixerEvent{state_.settings.id, 0, false, StageError{"compositor", error}});
  };
  if (!open(error)) return fail();
  OutputClock clock(state_.settings.fps, compositorNowNs());
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
    CompositorCounters& c = state_.counters;
    c.skipped.fetch_add(tick.skipped, std::memory_order_relaxed);
    av::FramePtr frame = compose(start / 1000000);
    if (!frame) {
      error = "out of memory for the canvas";
      return fail();
    }
    frame->pts = tick.ptsMs;
    if (danmaku_) danmaku_->apply(frame.get(), tick.ptsMs, clock.dueNs(tick.index));
    if (!encode(frame.get(), tick.index, error)) return fail();
    if (!mixAudio(tick.ptsMs, state_.scene(), error)) return fail();
    const int64_t last = c.lastPts.exchange(tick.ptsMs, std::memory_order_relaxed);
    if (last >= 0) c.mediaMs.fetch_add(tick.ptsMs - last, std::memory_order_relaxed);
    c.busyNs.fetch_add(compositorNowNs() - start, std::memory_order_relaxed);
  }
}

av::FramePtr Compositor::compose(int64_t nowMs) {
  const CompositorSettings& s = state_.settings;
  av::FramePtr frame = av::makeFrame(*api_);
  if (!frame) return nullptr;
  frame->width = s.width;
  frame->height = s.height;
  frame->format = AV_PIX_FMT_YUV420P;
  if (api_->av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  uint64_t revision = 0;
  const Scene scene = state_.scene(&revision);
  fill(frame.get(), {0, 0, s.width, s.height}, 0x000000);
  const std::vector<PixelRect> cells = LayoutGeometry::cells(scene.layout, s.width, s.height);
  // NOTE: every input's state, drawn or not: the API's `state` of an input the
  // layout leaves out tells whether it could be shown (co-host waits for "live").
  std::vector<InputShow> shows(state_.slots.size());
  for (size_t i = 0; i < state_.slots.size(); ++i) {
    InputSlot& slot = *state_.slots[i];
    const int64_t last = slot.lastFrameMs.load(std::memory_order_relaxed);
    shows[i] =
        scene.policy.showAt(last == INT64_MIN ? std::nullopt : std::optional<int64_t>(last), nowMs);
    slot.shown.store(static_cast<uint8_t>(shows[i]), std::memory_order_relaxed);
  }
  for (size_t i = 0; i < cells.size() && i < state_.slots.size(); ++i) {
    InputSlot& slot = *state_.slots[i];
    if (shows[i] == InputShow::Slate) {
      if (const AVFrame* picture = slate(i, cells[i], scene))
        blit(frame.get(), picture, cells[i].x, cells[i].y);
      else
        fill(frame.get(), cells[i], scene.slateRgb);
      continue;
    }
    // NOTE: copied under the slot's lock, not through a second reference: the
    // decoder frees its old picture under the same lock, an order ThreadSanitizer
    // sees (FFmpeg's buffer refcounts are atomics in a library it does not see). A
    // picture placed for an older scene is skipped (its decoder is rescaling it).
    std::lock_guard lock(slot.mutex);
    if (slot.picture && slot.revision == revision)
      blit(frame.get(), slot.picture.get(), slot.placed.x, slot.placed.y);
  }
  return frame;
}

const AVFrame* Compositor::slate(size_t index, const PixelRect& cell, const Scene& scene) {
  if (scene.slateText.empty()) return nullptr;
  if (slates_.size() <= index) slates_.resize(index + 1);
  SlateCache& c = slates_[index];
  if (c.width != cell.w || c.height != cell.h || c.rgb != scene.slateRgb ||
      c.text != scene.slateText) {
    c = SlateCache{cell.w, cell.h, scene.slateRgb, scene.slateText, nullptr};
    std::string error;
    c.frame = SlateRenderer::render(*api_, cell.w, cell.h, scene.slateRgb, scene.slateText,
                                    state_.settings.fontFile, error);
    if (!c.frame)
      spdlog::warn("program {}: the slate's text is not drawn: {}", state_.settings.key,
                   error.empty() ? "out of memory" : error);
  }
  return c.frame.get();
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
  CompositorCounters& c = state_.counters;
  const bool key = lastKeyIndex_ == INT64_MIN || index - lastKeyIndex_ >= gopFrames_ ||
                   state_.keyRequested.exchange(false, std::memory_order_relaxed);
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
        state_.post(MixerEvent{state_.settings.id, 0, false, std::move(unit)});
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
