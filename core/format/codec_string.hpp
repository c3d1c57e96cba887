// RFC 6381 "codecs" parameter values for H.264 and AAC, as HLS master playlists
// (CODECS=) and MSE's isTypeSupported want them. Pure code, no I/O; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace core {

// "avc1.PPCCLL": profile_idc, the constraint_set flags byte and level_idc as two hex
// digits each (RFC 6381 3.3), i.e. AVCProfileIndication, profile_compatibility and
// AVCLevelIndication, bytes 1..3 of an AVCDecoderConfigurationRecord (ISO 14496-15
// 5.3.3.1). Lower-case hex, as Apple's HLS examples. "" if `avcC` is not a record
// (under 7 bytes, configurationVersion not 1).
std::string avcCodecString(std::span<const uint8_t> avcC);

// "mp4a.40.N": MPEG-4 Audio (objectTypeIndication 0x40) and the Audio Object Type of
// an AudioSpecificConfig in decimal (RFC 6381 3.3: 2 = AAC-LC, 5 = HE-AAC, 29 =
// HE-AAC v2). "" if `asc` does not parse.
std::string aacCodecString(std::span<const uint8_t> asc);

// The video and audio strings joined by ','; an empty span is a track the stream
// does not have. "" when neither is given or a given one does not parse (a wrong
// CODECS is worse than none).
std::string rfc6381Codecs(std::span<const uint8_t> avcC, std::span<const uint8_t> asc);

}  // namespace core
