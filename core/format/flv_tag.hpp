// FLV container pieces (Adobe "Video File Format Specification v10", E.4 and E.5):
// the file header, tag framing, and audio/video tag bodies <-> MediaPacket, including
// the "enhanced RTMP" HEVC FourCC form. Pure code, no I/O; usable from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/packet/media_packet.hpp"

namespace core {

inline constexpr uint8_t kFlvTagAudio = 8;
inline constexpr uint8_t kFlvTagVideo = 9;
inline constexpr uint8_t kFlvTagScript = 18;
inline constexpr size_t kFlvFileHeaderSize = 9;
inline constexpr size_t kFlvTagHeaderSize = 11;
inline constexpr size_t kFlvPreviousTagSizeBytes = 4;
inline constexpr uint32_t kFlvMaxBodySize = 0xFFFFFF;  // DataSize is 24 bits

// The 9-byte "FLV" header followed by PreviousTagSize0 (= 0): 13 bytes.
std::vector<uint8_t> flvFileHeader(bool hasAudio, bool hasVideo);

// One complete tag: 11-byte header (timestamp low 24 bits + extended upper 8 bits,
// stream id 0), the body, then PreviousTagSize (11 + body size). One allocation.
// Returns an empty buffer if the body exceeds kFlvMaxBodySize.
SharedBuffer buildFlvTag(uint8_t tagType, uint32_t timestampMs, std::span<const uint8_t> body);

// The FLV tag type for a packet: 8 audio, 9 video, 18 data.
uint8_t flvTagTypeOf(const MediaPacket& packet);

// The tag body for a packet: H.264 (legacy codec id 7), H.265 (enhanced RTMP 'hvc1'),
// AAC (0xAF + AACPacketType), MP3 (0x2F), or the payload itself for Data packets.
// Empty for a codec FLV cannot carry (Unknown, Opus).
std::vector<uint8_t> flvBodyOf(const MediaPacket& packet);

// The timestamp a live FLV tag or RTMP message carries for `packet`: dts modulo 2^32
// ms, except onMetaData (a Data config packet), which always goes at 0.
// NOTE: FFmpeg's FLV reader (libavformat 59, Debian 12; VLC 3 reads FLV with it)
// skips an onMetaData only at timestamp 0; at any other time the tag becomes the
// packet of a text stream. VLC's clock is the lowest last dts of its tracks (within
// 10 s), so that one packet held it: 10 s of buffering, then no frame shown.
// nginx-rtmp sends onMetaData at 0 too.
uint32_t flvTimestampOf(const MediaPacket& packet);

// buildFlvTag(flvTagTypeOf(p), flvTimestampOf(p), flvBodyOf(p)) in a single allocation:
// the form an HTTP-FLV sink caches in the packet's wire slot. Empty if the codec
// cannot be carried or the body is too large.
SharedBuffer flvTagOf(const MediaPacket& packet);
// The same tag appended to `out` (nothing appended, false, when flvTagOf is empty).
bool appendFlvTag(std::vector<uint8_t>& out, const MediaPacket& packet);

// Result of parsing one audio/video tag body from an RTMP publisher or an FLV file.
struct ParsedTag {
  enum class Status : uint8_t {
    Packet,   // `packet` is valid; its payload is a slice of the body (no copy)
    Ignored,  // well-formed but not forwarded (end of sequence, unsupported codec, ...)
    Error,    // malformed (truncated, unknown packet type): the publisher is broken
  };
  Status status = Status::Error;
  MediaPacket packet;
  std::string reason;  // why Ignored / Error

  bool isPacket() const { return status == Status::Packet; }
  bool isIgnored() const { return status == Status::Ignored; }
  bool isError() const { return status == Status::Error; }
};

// Video tag body (VIDEODATA, E.4.3.1, or enhanced RTMP ExVideoTagHeader). dts is the
// tag timestamp, pts = dts + composition time (signed 24 bits, may be negative).
// An unsupported codec is Ignored with packet.codec = Codec::Unknown, the whole body as
// payload and "unsupported video codec id N" as the reason.
ParsedTag parseFlvVideo(uint32_t timestampMs, const SharedBuffer& body);

// Audio tag body (AUDIODATA, E.4.2.1): AAC (config / raw frames) and MP3 (raw
// passthrough). Audio packets have keyframe = false; every frame stands alone.
ParsedTag parseFlvAudio(uint32_t timestampMs, const SharedBuffer& body);

// The 11-byte tag header, for readers of FLV files.
struct FlvTagHeader {
  uint8_t tagType = 0;
  uint32_t dataSize = 0;
  uint32_t timestampMs = 0;  // extended byte already applied
  uint32_t streamId = 0;
};
std::optional<FlvTagHeader> parseFlvTagHeader(std::span<const uint8_t> bytes);

}  // namespace core
