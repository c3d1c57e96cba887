// WebrtcRenditions: what WHEP needs of the mixer (which protocols/ cannot see): a
// B-frame-free H.264 rendition of a source, "{app}/{name}_webrtc", made once per
// source and shared by every WHEP viewer of it. Implemented by mixer::Mixer, wired by
// main; loop thread.
#pragma once

#include <optional>
#include <string>

namespace core {

class WebrtcRenditions {
 public:
  virtual ~WebrtcRenditions() = default;
  // A viewer of the live source `sourceKey` needs the rendition: it starts with the
  // first holder (it is published once the encoder has its first picture). Returns
  // the rendition's key, or nullopt and `error` (the mixer is off or full, the source
  // is not live). Every acquire is paired with one release.
  virtual std::optional<std::string> acquireWebrtcRendition(const std::string& sourceKey,
                                                            std::string& error) = 0;
  // A holder is done; the rendition stops a grace period after the last one.
  virtual void releaseWebrtcRendition(const std::string& sourceKey) = 0;
};

}  // namespace core
