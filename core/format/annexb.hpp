// H.264 Annex-B byte streams (start-code delimited NAL units, H.264 B.1) and their
// AVCC form (ISO 14496-15: length-prefixed units, config in an avcC record), as
// encoders such as libx264 produce them. Pure code, no I/O; any thread.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace core {

// The NAL units of `in`, without their start codes (00 00 01 or 00 00 00 01) and
// without trailing zero bytes (trailing_zero_8bits, B.1.1; a unit never ends in 00,
// 7.4.1). Bytes before the first start code and empty units are skipped; no start
// code at all gives no units. The spans point into `in`.
std::vector<std::span<const uint8_t>> splitAnnexB(std::span<const uint8_t> in);

// The units of `in` each prefixed with its 4-byte big-endian length; empty if `in`
// holds no unit.
std::vector<uint8_t> annexBToAvcc(std::span<const uint8_t> in);

// An AVCDecoderConfigurationRecord (4-byte NAL lengths) from codec extradata: the
// SPS (type 7) and PPS (type 8) units of an Annex-B stream, other units ignored.
// Extradata that already is a record (configurationVersion 1, as an mp4 demuxer
// gives it) is returned as it is. Empty without a SPS and a PPS, or with a unit
// makeAvcDecoderConfig refuses (a SPS under 4 bytes, a unit over 65535).
std::vector<uint8_t> avcConfigFromAnnexB(std::span<const uint8_t> extradata);

}  // namespace core
