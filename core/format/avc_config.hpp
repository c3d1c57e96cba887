// H.264 configuration parsing: the AVCDecoderConfigurationRecord (ISO 14496-15 5.2.4.1)
// and the sequence parameter set (H.264 7.3.2.1.1 + VUI E.1.1) for size, profile and
// frame rate. Pure code, no I/O; usable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace core {

struct AvcSps {
  int profile = 0;          // profile_idc
  int constraintFlags = 0;  // constraint_set0..5 flags byte
  int level = 0;            // level_idc (31 = 3.1)
  int chromaFormat = 1;     // chroma_format_idc
  int width = 0;            // after frame cropping
  int height = 0;
  double fps = 0;  // time_scale / (2 * num_units_in_tick); 0 if no VUI timing
};

struct AvcInfo {
  int profile = 0;
  int level = 0;
  int width = 0;
  int height = 0;
  double fps = 0;  // 0 if unknown
  int nalLengthSize = 4;
  std::vector<std::vector<uint8_t>> sps, pps;  // NAL units with their header byte
};

// Parses the record and its first SPS. On failure returns nullopt and, if `error` is
// given, a reason naming what was wrong.
std::optional<AvcInfo> parseAvcDecoderConfig(std::span<const uint8_t> record,
                                             std::string* error = nullptr);

// The NAL length size (1, 2 or 4) a record declares (lengthSizeMinusOne + 1), read
// without parsing its SPS; 0 if `record` is too short, not version 1, or says 3.
int avcNalLengthSize(std::span<const uint8_t> record);

// Parses one SPS NAL unit (header byte included, emulation prevention still present).
std::optional<AvcSps> parseAvcSps(std::span<const uint8_t> nal, std::string* error = nullptr);

// Builds a record from SPS/PPS NAL units (version 1, profile/level copied from the first
// SPS). Empty if there is no SPS, a SPS is shorter than 4 bytes, or there are more than
// 31 SPS / 255 PPS, or a unit is longer than 65535 bytes.
std::vector<uint8_t> makeAvcDecoderConfig(const std::vector<std::vector<uint8_t>>& sps,
                                          const std::vector<std::vector<uint8_t>>& pps,
                                          int nalLengthSize = 4);

// NAL payload -> RBSP: drops the 0x03 of every 0x00 0x00 0x03 sequence (7.4.1).
std::vector<uint8_t> removeEmulationPrevention(std::span<const uint8_t> nal);

// "Baseline", "Main", "High", ... for a profile_idc; "Unknown" otherwise.
std::string avcProfileName(int profile);

}  // namespace core
