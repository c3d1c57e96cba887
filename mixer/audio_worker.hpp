// AudioWorker: the body of a run's audio thread ("rc7-aac"): the source's audio frames
// -> AudioTranscoder (decode once, AAC-LC at audio_kbps) -> the loop, which copies
// each frame into every rung. Lives on its thread only.
#pragma once

#include <memory>
#include <string>

#include "mixer/audio_transcoder.hpp"
#include "mixer/run_state.hpp"

namespace mixer {

class AudioWorker {
 public:
  AudioWorker(RunState& state, AudioLane& lane) : state_(state), lane_(lane) {}
  // Runs until the lane ends (then flushes) or the run is abandoned.
  void run();

 private:
  bool encode(const EncodedAudio& in, std::string& error);
  bool receive(std::string& error);
  void post(MixerEvent::Body body);

  RunState& state_;
  AudioLane& lane_;
  std::unique_ptr<AudioTranscoder> transcoder_;
  uint64_t logged_ = 0;
};

}  // namespace mixer
