#include "core/format/aac_config.hpp"

#include <array>

#include "core/buffer/bit_reader.hpp"

namespace core {

namespace {

// Table 1.18 sampling_frequency_index; 13 and 14 are reserved, 15 means explicit.
constexpr std::array<int, 13> kSampleRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                              22050, 16000, 12000, 11025, 8000,  7350};
constexpr int kExplicitRateIndex = 15;
constexpr int kEscapeObjectType = 31;
constexpr int kObjectTypeSbr = 5;
constexpr int kObjectTypePs = 29;
constexpr int kObjectTypeErBsac = 22;
constexpr int kMaxExplicitRate = 0xFFFFFF;

// GetAudioObjectType(), 1.6.2.1: 5 bits, 31 escapes to 32 + 6 more bits.
int readObjectType(BitReader& in) {
  const int type = static_cast<int>(in.bits(5));
  return type == kEscapeObjectType ? 32 + static_cast<int>(in.bits(6)) : type;
}

// Index or explicit 24-bit frequency; 0 for a reserved index.
int readSampleRate(BitReader& in) {
  const uint32_t index = in.bits(4);
  if (index == kExplicitRateIndex) return static_cast<int>(in.bits(24));
  return index < kSampleRates.size() ? kSampleRates[index] : 0;
}

// Table 1.19 channelConfiguration -> channel count; -1 if reserved.
int channelsOf(uint32_t config) {
  switch (config) {
    case 0:
      return 0;  // program_config_element
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return static_cast<int>(config);
    case 7:
      return 8;
    case 11:
      return 7;
    case 12:
      return 8;
    case 13:
      return 24;
    case 14:
      return 8;
    default:
      return -1;
  }
}

std::optional<AacInfo> fail(std::string* error, std::string reason) {
  if (error) *error = "AudioSpecificConfig: " + std::move(reason);
  return std::nullopt;
}

}  // namespace

int aacSampleRateIndex(int sampleRate) {
  for (size_t i = 0; i < kSampleRates.size(); ++i) {
    if (kSampleRates[i] == sampleRate) return static_cast<int>(i);
  }
  return -1;
}

std::optional<AacInfo> parseAudioSpecificConfig(std::span<const uint8_t> config,
                                                std::string* error) {
  if (config.size() < 2)
    return fail(error, "too short (" + std::to_string(config.size()) + " bytes)");
  BitReader in(config);
  AacInfo info;
  info.objectType = readObjectType(in);
  info.sampleRate = readSampleRate(in);
  const uint32_t channelConfig = in.bits(4);
  if (!in.ok()) return fail(error, "truncated");
  if (info.objectType == 0) return fail(error, "object type 0 (null)");
  if (info.sampleRate <= 0) return fail(error, "reserved or zero sampling frequency");
  info.channels = channelsOf(channelConfig);
  if (info.channels < 0) {
    return fail(error, "reserved channel configuration " + std::to_string(channelConfig));
  }
  if (info.objectType == kObjectTypeSbr || info.objectType == kObjectTypePs) {
    // NOTE: explicit hierarchical SBR/PS signalling (1.6.2.1): the extension rate is
    // the decoder's output rate, and PS turns a mono core into stereo output.
    const int extensionRate = readSampleRate(in);
    const int coreType = readObjectType(in);
    if (coreType == kObjectTypeErBsac) in.bits(4);  // extensionChannelConfiguration
    if (!in.ok()) return fail(error, "truncated SBR/PS extension");
    if (extensionRate <= 0) return fail(error, "reserved SBR extension sampling frequency");
    info.sampleRate = extensionRate;
    if (info.objectType == kObjectTypePs && info.channels == 1) info.channels = 2;
  }
  return info;
}

std::string aacProfileName(int objectType) {
  switch (objectType) {
    case 1:
      return "Main";
    case 2:
      return "LC";
    case 3:
      return "SSR";
    case 4:
      return "LTP";
    case 5:
      return "HE-AAC";
    case 6:
      return "Scalable";
    case 23:
      return "LD";
    case 29:
      return "HE-AAC v2";
    case 39:
      return "ELD";
    case 42:
      return "USAC";
    default:
      return "Unknown";
  }
}

std::vector<uint8_t> makeAudioSpecificConfig(int objectType, int sampleRate, int channels) {
  // Table 1.19: 8 channels (7.1) is configuration 7, 7 channels (6.1) is 11.
  const int channelConfig = channels == 8 ? 7 : (channels == 7 ? 11 : channels);
  if (objectType < 1 || objectType > 95 || channels < 1 || channels > 8 || sampleRate <= 0 ||
      sampleRate > kMaxExplicitRate) {
    return {};
  }
  uint64_t bits = 0;
  int count = 0;
  auto put = [&](uint64_t v, int n) {
    bits = (bits << n) | (v & ((uint64_t(1) << n) - 1));
    count += n;
  };
  if (objectType < kEscapeObjectType) {
    put(objectType, 5);
  } else {
    put(kEscapeObjectType, 5);
    put(objectType - 32, 6);
  }
  const int index = aacSampleRateIndex(sampleRate);
  if (index >= 0) {
    put(index, 4);
  } else {
    put(kExplicitRateIndex, 4);
    put(sampleRate, 24);
  }
  put(channelConfig, 4);
  put(0, 3);  // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag
  const int padding = (8 - count % 8) % 8;
  put(0, padding);
  std::vector<uint8_t> out(count / 8);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<uint8_t>(bits >> (8 * (out.size() - 1 - i)));
  }
  return out;
}

}  // namespace core
