// ScenePainter: draws one scene's layers, bottom to top, onto a yuv420p canvas: an
// input's picture its decoder already scaled to the layer's size (or the slate when
// the input is stalled past its repeat), a colour, or an image of the assets dir
// (decoded once, scaled once per size, its alpha kept), each blended by its opacity.
// Owned by one Compositor; lives on its thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/logo_image.hpp"

namespace mixer {

class ScenePainter {
 public:
  ScenePainter(CompositorState& state, const av::FilterApi& api) : state_(state), api_(api) {}

  // `canvas` black, then `layers`; `shows`: what each input shows this tick.
  void paint(AVFrame* canvas, const std::vector<LayerSpec>& layers,
             const std::vector<InputShow>& shows, const Scene& scene);
  // Drops the images none of `scene`'s layers names any more.
  void keepImagesOf(const Scene& scene);

 private:
  void paintInput(AVFrame* canvas, const LayerSpec& layer, const PixelRect& cell, InputShow show,
                  const Scene& scene);
  void paintImage(AVFrame* canvas, const LayerSpec& layer, const PixelRect& cell);
  const AVFrame* slate(const PixelRect& cell, const Scene& scene);

  struct ScaledImage {
    PlacementKey key;
    int dx = 0, dy = 0;
    av::FramePtr yuva;  // null: it could not be scaled
  };
  struct ImageEntry {
    std::string name;
    std::optional<LogoImage> image;  // none: it did not open (logged once)
    std::vector<ScaledImage> scaled;
  };
  const ScaledImage& scaledImage(ImageEntry& entry, const PlacementKey& key);

  struct SlateCache {
    int width = 0, height = 0;
    uint32_t rgb = 0;
    std::string text;
    av::FramePtr frame;  // null when it could not be drawn: the plain colour then
  };

  CompositorState& state_;
  const av::FilterApi& api_;
  std::vector<ImageEntry> images_;
  std::vector<SlateCache> slates_;
};

}  // namespace mixer
