// WebrtcRenditions: what WHEP needs of the mixer (which protocols/ cannot see): a
// B-frame-free H.264 rendition of a source, "{app}/{name}_webrtc", made once per
// source and shared by every WHEP viewer of it. Implemented by mixer::Mixer, wired by
// main; loop thread.
#pragma once

#include <memory>
#include <string>

namespace core {

class WebrtcRenditions {
 public:
  // A viewer's hold on the rendition; destroying it lets go (the rendition stops a
  // grace period after the last hold). Must not outlive the implementation (main
  // destroys the WebRTC server, and so its sessions, before the mixer).
  class Hold {
   public:
    virtual ~Hold() = default;
    const std::string& key() const { return key_; }  // the rendition's

   protected:
    explicit Hold(std::string key) : key_(std::move(key)) {}

   private:
    std::string key_;
  };
  virtual ~WebrtcRenditions() = default;
  // A viewer of the live source `sourceKey` needs the rendition: it starts with the
  // first hold (it is published once the encoder has its first picture). nullptr and
  // `error` when it cannot be made (the mixer is off or full, the source not live).
  virtual std::unique_ptr<Hold> holdWebrtcRendition(const std::string& sourceKey,
                                                    std::string& error) = 0;
};

}  // namespace core
