// InputDecoder: the body of one program input's decoder thread ("rcP1-in0"): units
// from its slot's queue -> H.264 decoder (reopened on each publisher's avcC) -> the
// latest frame cropped and scaled (libswscale) to each size its layers have in the
// program, fading-in and preview scenes, stored in the slot. It never waits on the
// compositors; a scene change rescales the kept frame at once. Lives on its thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

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
  // Scales `source_` to the input's layers in the current scenes and stores them.
  void place();
  // The sizes the current scene draws this input at.
  std::vector<PlacementKey> wanted(const Scene& scene) const;
  av::FramePtr scaleTo(const Placement& p, size_t index);
  void noteError(const std::string& error);

  CompositorState& state_;
  const size_t index_;
  InputSlot& slot_;
  const av::FilterApi* api_ = nullptr;
  std::unique_ptr<VideoDecoder> decoder_;
  std::unique_ptr<InputAudio> audio_;
  av::FramePtr decoded_;
  av::FramePtr source_;           // the latest decoded frame, kept for a rescale
  std::vector<SwsContext*> sws_;  // one per wanted size (cached contexts)
  uint64_t placedRevision_ = 0;
};

}  // namespace mixer
