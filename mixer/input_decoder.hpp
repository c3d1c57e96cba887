// InputDecoder: the body of one program input's decoder thread ("rcP1-in0"): units
// from its slot's queue -> H.264 decoder (reopened on each publisher's avcC) -> the
// latest frame scaled (libswscale) to the input's layer and stored in the slot. It
// never waits on the compositor; a layout change rescales the kept frame at once.
// Lives on its thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "av/av_ptr.hpp"
#include "mixer/compositor_state.hpp"
#include "mixer/input_audio.hpp"
#include "mixer/video_decoder.hpp"

struct SwsContext;

namespace mixer {

class InputDecoder {
 public:
  InputDecoder(CompositorState& state, size_t index)
      : state_(state), index_(index), slot_(*state.slots[index]) {}
  ~InputDecoder();
  InputDecoder(const InputDecoder&) = delete;
  InputDecoder& operator=(const InputDecoder&) = delete;

  // Runs until the program stops.
  void run();

 private:
  void configure(const InputItem& item);
  void decode(const InputItem& item);
  void decodeAudio(const InputItem& item);
  // Scales `source_` to the input's layer in the current scene and stores it.
  void place();
  void noteError(const std::string& error);

  CompositorState& state_;
  const size_t index_;
  InputSlot& slot_;
  const av::FilterApi* api_ = nullptr;
  std::unique_ptr<VideoDecoder> decoder_;
  std::unique_ptr<InputAudio> audio_;
  av::FramePtr decoded_;
  av::FramePtr source_;  // the latest decoded frame, kept for a rescale
  SwsContext* sws_ = nullptr;
  uint64_t placedRevision_ = 0;
};

}  // namespace mixer
