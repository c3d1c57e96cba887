// InputAudio: one program input's AAC decoded (libavcodec), converted to 48 kHz
// stereo float by an AudioResampler and written into the program's MixBus. Owned
// and used by the input's decoder thread; never throws, never crashes on corrupt
// input (a bad frame is counted and skipped).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "av/av_ptr.hpp"
#include "core/buffer/shared_buffer.hpp"
#include "mixer/audio_resampler.hpp"
#include "mixer/mix_bus.hpp"

namespace av {
struct FilterApi;
}

namespace mixer {

class InputAudio {
 public:
  // The AAC decoder for `asc` (the stream's AudioSpecificConfig). nullptr with
  // `error` when it does not open.
  static std::unique_ptr<InputAudio> open(const av::FilterApi& api, std::span<const uint8_t> asc,
                                          MixBus& bus, size_t input, std::string& error);
  ~InputAudio();
  InputAudio(const InputAudio&) = delete;
  InputAudio& operator=(const InputAudio&) = delete;

  // One raw AAC frame: decoded, converted and written to the bus. false with `error`.
  bool send(const core::SharedBuffer& frame, std::string& error);

 private:
  InputAudio(const av::FilterApi& api, MixBus& bus, size_t input);
  bool convert(AVFrame* decoded, std::string& error);

  const av::FilterApi& api_;
  MixBus& bus_;
  const size_t input_;
  av::CodecContextPtr decoder_;
  av::PacketPtr packet_;
  av::FramePtr decoded_, converted_;
  std::unique_ptr<AudioResampler> resampler_;  // built on the first decoded frame
};

}  // namespace mixer
