#include "mixer/input_decoder.hpp"

#include <spdlog/spdlog.h>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"

namespace mixer {

InputDecoder::~InputDecoder() {
  if (sws_ && api_) api_->sws_freeContext(sws_);
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

void InputDecoder::place() {
  uint64_t revision = 0;
  const Scene scene = state_.scene(&revision);
  placedRevision_ = revision;
  const CompositorSettings& s = state_.settings;
  const std::vector<PixelRect> cells = LayoutGeometry::cells(scene.layout, s.width, s.height);
  av::FramePtr picture;
  PixelRect placed;
  if (index_ < cells.size() && !cells[index_].empty()) {
    placed = LayoutGeometry::fit(cells[index_], source_->width, source_->height);
    sws_ = api_->sws_getCachedContext(
        sws_, source_->width, source_->height, static_cast<AVPixelFormat>(source_->format),
        placed.w, placed.h, AV_PIX_FMT_YUV420P, SWS_BILINEAR, nullptr, nullptr, nullptr);
    picture = av::makeFrame(*api_);
    if (!sws_ || !picture) return noteError("cannot scale the input (libswscale)");
    picture->width = placed.w;
    picture->height = placed.h;
    picture->format = AV_PIX_FMT_YUV420P;
    if (api_->av_frame_get_buffer(picture.get(), 0) < 0) return noteError("out of memory");
    api_->sws_scale(sws_, source_->data, source_->linesize, 0, source_->height, picture->data,
                    picture->linesize);
  }
  std::lock_guard lock(slot_.mutex);
  slot_.picture = std::move(picture);  // none when the layout does not show this input
  slot_.placed = placed;
  slot_.revision = revision;
}

void InputDecoder::noteError(const std::string& error) {
  std::lock_guard lock(slot_.mutex);
  if (slot_.error != error)
    spdlog::warn("program {}: input {}: {}", state_.settings.key, index_, error);
  slot_.error = error;
}

}  // namespace mixer
