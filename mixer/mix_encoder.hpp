// MixEncoder: a program's mixed audio encoded to AAC-LC (libavcodec "aac"), 48 kHz
// stereo, frames of 1024 samples in, raw AAC frames with ms pts out (the sample
// count: continuous whatever the inputs do). Owned and used by the compositor's
// thread; never throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/encoded_audio.hpp"

namespace av {
struct FilterApi;
}

namespace mixer {

class MixEncoder {
 public:
  static constexpr int kFrameSamples = 1024;
  static std::unique_ptr<MixEncoder> open(const av::FilterApi& api, int kbps, std::string& error);
  ~MixEncoder();
  MixEncoder(const MixEncoder&) = delete;
  MixEncoder& operator=(const MixEncoder&) = delete;

  const std::vector<uint8_t>& audioSpecificConfig() const { return asc_; }
  // kFrameSamples of each channel; what the encoder gives back is appended to `out`.
  bool encode(const float* left, const float* right, std::vector<EncodedAudio>& out,
              std::string& error);
  int64_t samplesIn() const { return samplesIn_; }

 private:
  explicit MixEncoder(const av::FilterApi& api) : api_(api) {}

  const av::FilterApi& api_;
  av::CodecContextPtr ctx_;
  av::FramePtr frame_;
  av::PacketPtr packet_;
  std::vector<uint8_t> asc_;
  int64_t samplesIn_ = 0;
  int64_t framesOut_ = 0;
};

}  // namespace mixer
