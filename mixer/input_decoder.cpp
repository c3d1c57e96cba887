#include "mixer/input_decoder.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"

namespace mixer {

InputDecoder::~InputDecoder() {
  if (api_)
    for (SwsContext* c : sws_) api_->sws_freeContext(c);
}

void InputDecoder::run() {
  std::string error;
  api_ = state_.libs.filter(error);
  if (!api_) {
    noteError(error);
    return;
  }
  decoded_ = av::makeFrame(*api_);
  while (true) {
    std::optional<InputItem> item = slot_.queue.pop(state_.stop);
    if (state_.stop.load(std::memory_order_acquire)) return;
    if (!item) {  // woken: a new scene
      uint64_t revision = 0;
      state_.scene(&revision);
      if (source_ && revision != placedRevision_) place();
      continue;
    }
    if (item->audio)
      decodeAudio(*item);
    else if (item->config)
      configure(*item);
    else
      decode(*item);
  }
}

void InputDecoder::configure(const InputItem& item) {
  std::string error;
  decoder_ = VideoDecoder::open(*api_, core::Codec::H264, item.unit.payload.span(), 1, error);
  if (!decoder_) noteError(error);
}

void InputDecoder::decodeAudio(const InputItem& item) {
  std::string error;
  if (item.config) {
    state_.bus.clear(index_);
    audio_ = InputAudio::open(*api_, item.unit.payload.span(), state_.bus, index_, error);
    if (!audio_) noteError("audio: " + error);
    return;
  }
  if (audio_ && !audio_->send(item.unit.payload, error)) {
    slot_.audioErrors.fetch_add(1, std::memory_order_relaxed);
    noteError("audio: " + error);
  }
}

void InputDecoder::decode(const InputItem& item) {
  if (!decoder_) return;  // no config yet, or one that did not open
  std::string error;
  if (!decoder_->send(item.unit, error)) {
    slot_.decodeErrors.fetch_add(1, std::memory_order_relaxed);
    noteError(error);
    return;
  }
  while (true) {
    const CodecResult r = decoder_->receive(decoded_.get(), error);
    if (r == CodecResult::Failed) {
      slot_.decodeErrors.fetch_add(1, std::memory_order_relaxed);
      noteError(error);
      return;
    }
    if (r != CodecResult::Frame) return;
    slot_.lastFrameMs.store(compositorNowMs(), std::memory_order_relaxed);
    slot_.framesIn.fetch_add(1, std::memory_order_relaxed);
    slot_.sourceWidth.store(decoded_->width, std::memory_order_relaxed);
    slot_.sourceHeight.store(decoded_->height, std::memory_order_relaxed);
    // NOTE: only the newest frame matters (the compositor samples it at its own
    // clock); the decoded one is moved into source_ and a fresh frame takes its place.
    source_ = std::move(decoded_);
    decoded_ = av::makeFrame(*api_);
    if (!decoded_) return noteError("out of memory");
    place();
  }
}

std::vector<PlacementKey> InputDecoder::wanted(const Scene& scene) const {
  const CompositorSettings& s = state_.settings;
  std::vector<PlacementKey> keys;
  auto add = [&](const std::vector<LayerSpec>& layers, int width, int height) {
    for (const LayerSpec& l : layers) {
      if (l.source != LayerSource::Input || l.input != index_) continue;
      const PixelRect cell = LayoutGeometry::fromFractions(l.rect, width, height);
      const PlacementKey key = PlacementKey::of(l, cell);
      if (!cell.empty() && std::find(keys.begin(), keys.end(), key) == keys.end())
        keys.push_back(key);
    }
  };
  add(scene.layers, s.width, s.height);
  add(scene.incoming, s.width, s.height);
  if (s.previewWidth > 0) add(scene.preview, s.previewWidth, s.previewHeight);
  return keys;
}

av::FramePtr InputDecoder::scaleTo(const Placement& p, size_t index) {
  // NOTE: the crop is a pointer offset into the planes: whole chroma samples for
  // the 4:2:0 formats H.264 decodes to (the rect is even); others are not cropped.
  const auto format = static_cast<AVPixelFormat>(source_->format);
  const bool yuv420 = format == AV_PIX_FMT_YUV420P || format == AV_PIX_FMT_YUVJ420P;
  const PixelRect src = yuv420 ? p.src : PixelRect{0, 0, source_->width, source_->height};
  const uint8_t* planes[4] = {nullptr, nullptr, nullptr, nullptr};
  for (int i = 0; i < 4 && source_->data[i]; ++i) {
    const int shift = (yuv420 && i > 0) ? 1 : 0;
    planes[i] = source_->data[i] + static_cast<ptrdiff_t>(src.y >> shift) * source_->linesize[i] +
                (yuv420 ? (src.x >> shift) : 0);
  }
  if (sws_.size() <= index) sws_.resize(index + 1, nullptr);
  sws_[index] =
      api_->sws_getCachedContext(sws_[index], src.w, src.h, format, p.dst.w, p.dst.h,
                                 AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
  av::FramePtr picture = av::makeFrame(*api_);
  if (!sws_[index] || !picture) return nullptr;
  picture->width = p.dst.w;
  picture->height = p.dst.h;
  picture->format = AV_PIX_FMT_YUV420P;
  if (api_->av_frame_get_buffer(picture.get(), 0) < 0) return nullptr;
  api_->sws_scale(sws_[index], planes, source_->linesize, 0, src.h, picture->data,
                  picture->linesize);
  return picture;
}

void InputDecoder::place() {
  uint64_t revision = 0;
  const Scene scene = state_.scene(&revision);
  placedRevision_ = revision;
  const std::vector<PlacementKey> keys = wanted(scene);
  std::vector<PlacedPicture> pictures;
  for (size_t i = 0; i < keys.size(); ++i) {
    const PlacementKey& k = keys[i];
    const Placement p = LayoutGeometry::place({0, 0, k.cellW, k.cellH}, source_->width,
                                              source_->height, k.crop, k.fit);
    av::FramePtr picture = scaleTo(p, i);
    if (!picture) return noteError("cannot scale the input (libswscale, out of memory)");
    pictures.push_back({k, p.dst.x, p.dst.y, std::move(picture)});
  }
  std::lock_guard lock(slot_.mutex);
  slot_.pictures = std::move(pictures);  // none when no layer shows this input
}

void InputDecoder::noteError(const std::string& error) {
  std::lock_guard lock(slot_.mutex);
  if (slot_.error != error)
    spdlog::warn("program {}: input {}: {}", state_.settings.key, index_, error);
  slot_.error = error;
}

}  // namespace mixer
