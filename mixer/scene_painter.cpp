#include "mixer/scene_painter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "av/filter_api.hpp"
#include "mixer/compositor.hpp"
#include "mixer/slate_renderer.hpp"

namespace mixer {

namespace {

constexpr size_t kPainterMaxSlates = 16;
constexpr size_t kPainterMaxScaled = 8;  // sizes kept per image

bool painterUses(const Scene& scene, const std::string& image) {
  for (const auto* layers : {&scene.layers, &scene.incoming, &scene.preview})
    for (const LayerSpec& l : *layers)
      if (l.source == LayerSource::Image && l.image == image) return true;
  return false;
}

}  // namespace

void ScenePainter::paint(AVFrame* canvas, const std::vector<LayerSpec>& layers,
                         const std::vector<InputShow>& shows, const Scene& scene) {
  Compositor::fill(canvas, {0, 0, canvas->width, canvas->height}, 0x000000);
  for (const LayerSpec& layer : layers) {
    const PixelRect cell = LayoutGeometry::fromFractions(layer.rect, canvas->width, canvas->height);
    if (cell.empty() || layer.opacity <= 0) continue;
    switch (layer.source) {
      case LayerSource::Color:
        Compositor::fillBlend(canvas, cell, layer.rgb, layer.opacity);
        break;
      case LayerSource::Image:
        paintImage(canvas, layer, cell);
        break;
      case LayerSource::Input:
        if (layer.input < shows.size()) paintInput(canvas, layer, cell, shows[layer.input], scene);
        break;
    }
  }
}

void ScenePainter::paintInput(AVFrame* canvas, const LayerSpec& layer, const PixelRect& cell,
                              InputShow show, const Scene& scene) {
  if (show == InputShow::Slate) {
    if (const AVFrame* picture = slate(cell, scene))
      Compositor::blend(canvas, picture, cell.x, cell.y, layer.opacity);
    else
      Compositor::fillBlend(canvas, cell, scene.slateRgb, layer.opacity);
    return;
  }
  // NOTE: copied under the slot's lock, not through a second reference: the
  // decoder frees its old pictures under the same lock, an order ThreadSanitizer
  // sees (FFmpeg's buffer refcounts are atomics in a library it does not see). A
  // size the decoder has not made yet (a new scene: it is rescaling) is skipped.
  InputSlot& slot = *state_.slots[layer.input];
  const PlacementKey key = PlacementKey::of(layer, cell);
  std::lock_guard lock(slot.mutex);
  for (const PlacedPicture& p : slot.pictures)
    if (p.key == key && p.picture) {
      Compositor::blend(canvas, p.picture.get(), cell.x + p.dx, cell.y + p.dy, layer.opacity);
      return;
    }
}

void ScenePainter::paintImage(AVFrame* canvas, const LayerSpec& layer, const PixelRect& cell) {
  auto it = std::find_if(images_.begin(), images_.end(),
                         [&](const ImageEntry& e) { return e.name == layer.image; });
  if (it == images_.end()) {
    ImageEntry entry{layer.image, std::nullopt, {}};
    std::string error;
    entry.image =
        LogoImage::load(api_, state_.settings.assetsDir + "/" + layer.image, 0, 1.0, error);
    if (!entry.image)
      spdlog::warn("program {}: image layer {}: {}", state_.settings.key, layer.image, error);
    images_.push_back(std::move(entry));
    it = images_.end() - 1;
  }
  if (!it->image) return;
  const ScaledImage& s = scaledImage(*it, PlacementKey::of(layer, cell));
  if (s.yuva) Compositor::blend(canvas, s.yuva.get(), cell.x + s.dx, cell.y + s.dy, layer.opacity);
}

const ScenePainter::ScaledImage& ScenePainter::scaledImage(ImageEntry& entry,
                                                           const PlacementKey& key) {
  for (const ScaledImage& s : entry.scaled)
    if (s.key == key) return s;
  if (entry.scaled.size() >= kPainterMaxScaled) entry.scaled.erase(entry.scaled.begin());
  const AVFrame* src = entry.image->frame();
  const Placement p = LayoutGeometry::place({0, 0, key.cellW, key.cellH}, src->width, src->height,
                                            key.crop, key.fit);
  ScaledImage out{key, p.dst.x, p.dst.y, av::makeFrame(api_)};
  SwsContext* sws =
      api_.sws_getContext(p.src.w, p.src.h, AV_PIX_FMT_RGBA, p.dst.w, p.dst.h, AV_PIX_FMT_YUVA420P,
                          SWS_BICUBIC, nullptr, nullptr, nullptr);
  if (out.yuva) {
    out.yuva->width = p.dst.w;
    out.yuva->height = p.dst.h;
    out.yuva->format = AV_PIX_FMT_YUVA420P;
  }
  if (!sws || !out.yuva || api_.av_frame_get_buffer(out.yuva.get(), 0) < 0) {
    spdlog::warn("program {}: image layer {}: cannot scale it to {}x{}", state_.settings.key,
                 entry.name, p.dst.w, p.dst.h);
    out.yuva.reset();
  } else {
    // NOTE: libswscale reads four plane pointers (and strides) whatever the format.
    const uint8_t* planes[4] = {
        src->data[0] + static_cast<ptrdiff_t>(p.src.y) * src->linesize[0] + p.src.x * 4, nullptr,
        nullptr, nullptr};
    api_.sws_scale(sws, planes, src->linesize, 0, p.src.h, out.yuva->data, out.yuva->linesize);
  }
  if (sws) api_.sws_freeContext(sws);
  entry.scaled.push_back(std::move(out));
  return entry.scaled.back();
}

void ScenePainter::keepImagesOf(const Scene& scene) {
  std::erase_if(images_, [&](const ImageEntry& e) { return !painterUses(scene, e.name); });
}

const AVFrame* ScenePainter::slate(const PixelRect& cell, const Scene& scene) {
  if (scene.slateText.empty()) return nullptr;
  for (const SlateCache& c : slates_)
    if (c.width == cell.w && c.height == cell.h && c.rgb == scene.slateRgb &&
        c.text == scene.slateText)
      return c.frame.get();
  if (slates_.size() >= kPainterMaxSlates) slates_.erase(slates_.begin());
  SlateCache c{cell.w, cell.h, scene.slateRgb, scene.slateText, nullptr};
  std::string error;
  c.frame = SlateRenderer::render(api_, cell.w, cell.h, scene.slateRgb, scene.slateText,
                                  state_.settings.fontFile, error);
  if (!c.frame)
    spdlog::warn("program {}: the slate's text is not drawn: {}", state_.settings.key,
                 error.empty() ? "out of memory" : error);
  slates_.push_back(std::move(c));
  return slates_.back().frame.get();
}

}  // namespace mixer
