// LogoImage: an image overlay's PNG (an image layer's PNG or JPEG), read (bounded),
// decoded by libavcodec's png (mjpeg) decoder, converted to RGBA and scaled by libswscale, its
// alpha multiplied by the overlay's opacity: the one frame FilterGraph::setImage feeds the overlay.
// Loaded and owned by the VideoWorker thread; never throws.
#pragma once

#include <optional>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/overlay_filters.hpp"

namespace av {
struct FilterApi;
}

namespace mixer {

// A logo is a corner of the picture: its file and its size are bounded.
inline constexpr size_t kMaxLogoFileBytes = 8 * 1024 * 1024;
inline constexpr int kMaxLogoSide = 4096;

class LogoImage {
 public:
  // The PNG at `path`, `width` px wide keeping its aspect (0 = its own size), alpha
  // times `opacity` (0..1). nullopt with `error` naming the file and the reason:
  // "assets/x.png: no such file", "cannot decode assets/logo.png: Invalid data ...".
  static std::optional<LogoImage> load(const av::FilterApi& api, const std::string& path, int width,
                                       double opacity, std::string& error);

  // RGBA, pts 0.
  const AVFrame* frame() const { return frame_.get(); }
  // For GraphAssets::images.
  FrameSize size() const { return {frame_->width, frame_->height}; }

 private:
  explicit LogoImage(av::FramePtr frame) : frame_(std::move(frame)) {}

  av::FramePtr frame_;
};

}  // namespace mixer
