// RTP fixed header (RFC 3550 §5.1) with CSRCs, padding and RFC 8285 header extensions:
// a bounded parser over one datagram and a builder. Pure code, no state; loop thread
// (usable from any thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace webrtc {

// One RFC 8285 element: its local id (1-14 one-byte form, 1-255 two-byte form) and its
// data. After parseRtp the data views the parsed datagram (valid while it lives).
struct RtpExtension {
  uint8_t id = 0;
  std::span<const uint8_t> data;
};

struct RtpHeader {
  bool marker = false;
  uint8_t pt = 0;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::vector<uint32_t> csrcs;
  // RFC 8285 elements in packet order. parseRtp fills them for the 0xBEDE and 0x100x
  // profiles only; another profile's block is skipped (extensionProfile tells which).
  std::vector<RtpExtension> extensions;
  uint16_t extensionProfile = 0;  // 0: no extension block (X bit clear)
  size_t headerSize = 0;          // fixed header + CSRCs + extension block
  size_t payloadSize = 0;         // without the padding
  uint8_t padding = 0;            // padding bytes at the end (last byte = count)

  // The data of the first element with `id`, if any.
  std::optional<std::span<const uint8_t>> extension(uint8_t id) const;
  // The payload of `packet` (the datagram this header was parsed from).
  std::span<const uint8_t> payloadOf(std::span<const uint8_t> packet) const {
    return packet.subspan(headerSize, payloadSize);
  }
};

// Parses the header of one RTP datagram. Errors name the field and its offset.
std::optional<RtpHeader> parseRtp(std::span<const uint8_t> packet, std::string& error);

// Writes the 12-byte header, the CSRCs, the extensions (one-byte form when every id is
// 1-14 and every element 1-16 bytes, else two-byte form; an element the two-byte form
// cannot carry, id 0 or over 255 bytes, is left out), then the payload parts, then
// `padding` bytes (P bit set) if it is non-zero. headerSize/payloadSize are ignored.
std::vector<uint8_t> buildRtp(const RtpHeader& header,
                              std::span<const core::SharedBuffer> payloadParts);

// The fixed header alone (V=2, marker, pt, seq, timestamp, ssrc; no CSRC, extension or
// padding: those of `header` are ignored) into `out`, as buildRtp writes it: the WHEP
// sender's path, which puts the payload after it in its own buffer.
inline constexpr size_t kRtpFixedHeaderBytes = 12;
void writeFixedRtpHeader(const RtpHeader& header, std::span<uint8_t, kRtpFixedHeaderBytes> out);

}  // namespace webrtc
