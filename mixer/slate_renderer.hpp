// SlateRenderer: a program's slate picture for one cell: its colour with an
// optional line of text centred on it (libavfilter drawtext, built node by node,
// the text set as an option value with expansion=none: drawn as it is). Made once
// per cell size and slate, then blitted each tick. Used on the compositor's thread.
#pragma once

#include <cstdint>
#include <string>

#include "av/av_ptr.hpp"

namespace av {
struct FilterApi;
}

namespace mixer {

class SlateRenderer {
 public:
  // A yuv420p `width` x `height` frame of `rgb` with `text` (empty: none) in white
  // at a size fitted to the height, in `fontFile`. nullptr with `error` (a font
  // that cannot be read, a filter FFmpeg refuses).
  static av::FramePtr render(const av::FilterApi& api, int width, int height, uint32_t rgb,
                             const std::string& text, const std::string& fontFile,
                             std::string& error);
};

}  // namespace mixer
