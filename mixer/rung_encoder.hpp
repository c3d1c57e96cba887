// RungEncoder: the body of one rung's encoder thread ("rc7-e720p"): its lane's
// frames -> libx264 (keys where the KeySchedule says, so every rung cuts its GOPs at
// the same pts) -> encoded units to the loop through the Mixer's Mailbox. Lives on
// its thread only.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "mixer/run_state.hpp"
#include "mixer/video_encoder.hpp"

namespace mixer {

class RungEncoder {
 public:
  RungEncoder(RunState& state, size_t rung) : state_(state), rung_(rung) {}
  // Runs until the lane ends (then flushes the encoder) or the run is abandoned.
  void run();

 private:
  bool open(std::string& error);
  bool encode(AVFrame* frame, std::string& error);
  bool receive(std::string& error);
  std::string stage() const;

  RunState& state_;
  const size_t rung_;
  std::unique_ptr<VideoEncoder> encoder_;
  int64_t lastPts_ = INT64_MIN;
};

}  // namespace mixer
