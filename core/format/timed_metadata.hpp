// Timed metadata carriers for the sidechannel: builders and parsers for ID3v2.4 tags,
// `emsg` boxes, H.264 SEI user_data_unregistered and WebVTT. Pure code, no I/O; any
// thread. Builders return an empty result on misuse; parsers never read out of bounds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace core {

// ---- ID3v2 (id3.org id3v2.4.0-structure, id3v2.4.0-frames) ----

// NOTE: far below the 28-bit syncsafe limit (256 MiB); a timed-metadata tag travels in
// one PES packet or emsg box per event, so anything larger is a caller bug.
constexpr size_t kMaxId3TagBytes = 1 << 20;

// Bytes buildId3Tag() would produce: 10-byte header + per value a 10-byte frame header,
// encoding byte, description, NUL and the value. Saturates instead of overflowing.
size_t id3TagSize(std::span<const std::string> values, std::string_view description = "roomcast");
size_t id3TagSize(std::span<const std::string_view> values,
                  std::string_view description = "roomcast");

// One ID3v2.4 tag (no unsynchronisation, no padding, no extended header) holding one
// UTF-8 `TXXX` frame per value, all with `description`. Empty if `values` is empty,
// `description` contains a NUL, or id3TagSize() > kMaxId3TagBytes.
std::vector<uint8_t> buildId3Tag(std::span<const std::string> values,
                                 std::string_view description = "roomcast");
std::vector<uint8_t> buildId3Tag(std::span<const std::string_view> values,
                                 std::string_view description = "roomcast");

struct Id3Frame {
  std::string id;           // "TXXX", "PRIV", "TIT2", ...
  std::string description;  // TXXX only, converted to UTF-8
  std::string value;        // TXXX: the value in UTF-8 (one trailing NUL dropped);
                            // other frames: the raw frame body
};

// Reads one v2.4 or v2.3 tag at the start of `bytes` (v2.4 frame sizes are syncsafe,
// v2.3 plain 32-bit). TXXX text encodings 0 (Latin-1), 1 (UTF-16 + BOM), 2 (UTF-16BE)
// and 3 (UTF-8) are converted to UTF-8. An extended header is skipped; padding ends the
// frame list. Rejects tag-level unsynchronisation, compressed or encrypted TXXX frames,
// non-syncsafe sizes and anything overrunning the input, setting `error`.
bool parseId3Tag(std::span<const uint8_t> bytes, std::vector<Id3Frame>& frames, std::string& error);

// ---- emsg (ISO/IEC 23009-1 5.10.3.3) ----

// Scheme for an ID3 tag as message_data (AOM "Carriage of ID3 Timed Metadata in CMAF");
// hls.js and Safari put these events on the same track as timed ID3 in MPEG-TS.
constexpr std::string_view kEmsgId3Scheme = "https://aomedia.org/emsg/ID3";

// A version 1 `emsg` box: timescale, 64-bit absolute presentation_time, event_duration
// (0xFFFFFFFF = unknown), id, scheme_id_uri and value (NUL-terminated), message_data.
// Empty if `schemeIdUri` or `value` contains a NUL or the box would reach 4 GiB.
std::vector<uint8_t> buildEmsgV1(uint32_t timescale, uint64_t presentationTime,
                                 uint32_t eventDuration, uint32_t id, std::string_view schemeIdUri,
                                 std::string_view value, std::span<const uint8_t> messageData);

struct EmsgBox {
  uint8_t version = 0;
  uint32_t timescale = 0;
  uint64_t presentationTime = 0;  // v1: absolute; v0: presentation_time_delta
  uint32_t eventDuration = 0;
  uint32_t id = 0;
  std::string schemeIdUri;
  std::string value;
  std::vector<uint8_t> messageData;
};

// Parses the box at the start of `box` (version 0 or 1; a 64-bit largesize and size 0
// "to the end" are accepted). Bytes after the box are ignored.
bool parseEmsg(std::span<const uint8_t> box, EmsgBox& out, std::string& error);

// ---- H.264 SEI user_data_unregistered (ITU-T H.264 7.3.2.3, D.1.6) ----

// roomcast's own UUID (v4): 6f1c2a9e-4b7d-4e3a-9c85-2d0b7f4a13e6
constexpr std::array<uint8_t, 16> kRoomcastSeiUuid = {
    0x6f, 0x1c, 0x2a, 0x9e, 0x4b, 0x7d, 0x4e, 0x3a, 0x9c, 0x85, 0x2d, 0x0b, 0x7f, 0x4a, 0x13, 0xe6};

// One SEI NAL unit (header byte 0x06, no start code or length prefix) holding a single
// payload type 5 message: uuid + payload, rbsp_trailing_bits, with emulation prevention
// applied after the header byte.
std::vector<uint8_t> buildSeiUserDataUnregistered(const std::array<uint8_t, 16>& uuid,
                                                  std::span<const uint8_t> payload);

// Finds the first user_data_unregistered message of an SEI NAL unit (header byte
// included, emulation prevention still present) and returns its UUID and user bytes.
bool parseSeiUserDataUnregistered(std::span<const uint8_t> nal, std::array<uint8_t, 16>& uuid,
                                  std::vector<uint8_t>& payload, std::string& error);

// ---- WebVTT (W3C WebVTT; RFC 8216 3.5 for X-TIMESTAMP-MAP) ----

// "hh:mm:ss.mmm" with at least two hour digits; negative times print as 00:00:00.000.
std::string formatVttTime(int64_t ms);

struct VttCue {
  int64_t startMs = 0;
  int64_t endMs = 0;  // raised to startMs if earlier
  std::string text;   // plain UTF-8; escaped and line-normalised by buildWebVtt()
};

// A WebVTT file: "WEBVTT", then "X-TIMESTAMP-MAP=MPEGTS:<mpegts90k>,LOCAL:<localMs>" when
// `mpegts90k` is set (HLS subtitle segments), a blank line, then the cues. Cue text is
// escaped (&, <, >) and empty lines are dropped so no cue ends early or contains "-->".
std::string buildWebVtt(std::span<const VttCue> cues, std::optional<int64_t> mpegts90k,
                        int64_t localMs);

}  // namespace core
