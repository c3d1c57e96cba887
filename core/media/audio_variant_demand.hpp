// AudioVariantDemand: what WHEP needs of the mixer (mixer/), which protocols/ cannot
// see: a stream's audio in Opus when its publisher sends AAC or MP3. Implemented by
// mixer::Mixer, handed to the WebRTC server by main; loop thread.
#pragma once

#include <memory>
#include <string>

namespace core {

class AudioVariantDemand {
 public:
  // Held by a consumer while it wants the variant; dropping it lets the variant stop
  // a while after the last one goes.
  class Token {
   public:
    virtual ~Token() = default;
  };
  virtual ~AudioVariantDemand() = default;
  // The stream `key` ("app/name") should carry Opus audio while the token lives:
  // the mixer makes it once per stream for every holder (from the publisher's AAC
  // or MP3; nothing to do when the publisher sends Opus). nullptr when variants are
  // off (mixer.audio_variants). A token may outlive the implementation.
  virtual std::unique_ptr<Token> wantOpus(const std::string& key) = 0;
};

}  // namespace core
