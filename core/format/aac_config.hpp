// AAC AudioSpecificConfig (ISO 14496-3 1.6.2.1): parse object type, sample rate and
// channels, and build the 2-byte config for encoders. Pure code, no I/O; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace core {

struct AacInfo {
  int objectType = 0;  // 2 = AAC LC, 5 = SBR (HE-AAC), 29 = PS (HE-AAC v2), ...
  int sampleRate = 0;  // Hz; for explicit SBR/PS signalling the extension (output) rate
  int channels = 0;    // 0 = defined in a program_config_element
};

// Nullopt on failure with the reason in `error` (when given).
std::optional<AacInfo> parseAudioSpecificConfig(std::span<const uint8_t> config,
                                                std::string* error = nullptr);

// "LC", "HE-AAC", "HE-AAC v2", "Main", ... ; "Unknown" otherwise.
std::string aacProfileName(int objectType);

// objectType (1..95), sampleRate (table index when it is a standard rate, else the
// explicit 24-bit form) and channels (1..8, 8 = 7.1) with a plain GASpecificConfig.
// Empty for values the syntax cannot express.
std::vector<uint8_t> makeAudioSpecificConfig(int objectType, int sampleRate, int channels);

// The sampling_frequency_index of a rate, or -1 if it is not in Table 1.18.
int aacSampleRateIndex(int sampleRate);

}  // namespace core
