// MixerEvent: what a pipeline's threads tell the loop through the Mixer's one
// Mailbox: a rung's encoder config, an encoded unit, a stage's error or its end.
// Routed by run id (a run is one start of a pipeline's threads). A plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "mixer/encoded_audio.hpp"
#include "mixer/encoded_unit.hpp"

namespace mixer {

struct RungConfig {
  std::vector<uint8_t> avcC;  // AVCDecoderConfigurationRecord of the rung's encoder
};
struct AudioConfig {
  std::vector<uint8_t> asc;  // AudioSpecificConfig of the pipeline's AAC encoder
};
struct StageError {
  std::string stage;  // "decode", "filter", "encode 720p"
  std::string reason;
};
struct StageDone {};
inline constexpr size_t kAudioStage = SIZE_MAX;
// The VideoWorker applied overlay revision `revision` (or could not: `error`).
struct OverlayResult {
  uint64_t revision = 0;
  std::string error;
};

struct MixerEvent {
  uint64_t run = 0;
  size_t rung = 0;       // for RungConfig, EncodedUnit and a rung's StageError/StageDone
  bool decoder = false;  // StageError/StageDone of the VideoWorker, not a rung
  using Body = std::variant<RungConfig, EncodedUnit, StageError, StageDone, OverlayResult,
                            AudioConfig, EncodedAudio>;
  Body body;
};

}  // namespace mixer
