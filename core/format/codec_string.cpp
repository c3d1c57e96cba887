#include "core/format/codec_string.hpp"

#include <cstdio>

#include "core/format/aac_config.hpp"

namespace core {

std::string avcCodecString(std::span<const uint8_t> avcC) {
  // configurationVersion, profile, compatibility, level, lengthSizeMinusOne,
  // numOfSequenceParameterSets, then at least one SPS length (the smallest record).
  if (avcC.size() < 7 || avcC[0] != 1) return {};
  char out[16];
  std::snprintf(out, sizeof out, "avc1.%02x%02x%02x", avcC[1], avcC[2], avcC[3]);
  return out;
}

std::string aacCodecString(std::span<const uint8_t> asc) {
  const auto aac = parseAudioSpecificConfig(asc);
  if (!aac || aac->objectType <= 0) return {};
  return "mp4a.40." + std::to_string(aac->objectType);
}

std::string rfc6381Codecs(std::span<const uint8_t> avcC, std::span<const uint8_t> asc) {
  std::string video, audio;
  if (!avcC.empty() && (video = avcCodecString(avcC)).empty()) return {};
  if (!asc.empty() && (audio = aacCodecString(asc)).empty()) return {};
  if (video.empty() || audio.empty()) return video + audio;
  return video + "," + audio;
}

}  // namespace core
