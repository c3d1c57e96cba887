#include "protocols/webrtc/rtp_packet.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/buffer/byte_io.hpp"

namespace webrtc {

namespace {

constexpr size_t kRtpFixedHeader = 12;
constexpr uint16_t kRtpOneByteProfile = 0xBEDE;
constexpr uint16_t kRtpTwoByteProfileMask = 0xFFF0;  // 0x100 + 4 appbits (RFC 8285 §4.3)
constexpr uint16_t kRtpTwoByteProfile = 0x1000;

// RFC 8285 §4.2: one-byte elements. `base` is the block's offset in the datagram.
bool rtpParseOneByte(std::span<const uint8_t> block, size_t base, RtpHeader& h,
                     std::string& error) {
  size_t i = 0;
  while (i < block.size()) {
    const uint8_t id = block[i] >> 4;
    if (id == 0) {  // padding byte
      ++i;
      continue;
    }
    // NOTE: id 15 ends the block; its length is ignored (RFC 8285 §4.2).
    if (id == 15) break;
    const size_t len = size_t(block[i] & 0x0F) + 1;
    if (i + 1 + len > block.size()) {
      error = fmt::format(
          "rtp: one-byte extension id {} at offset {}: {} bytes run past the "
          "extension block ({} left)",
          id, base + i, len, block.size() - i - 1);
      return false;
    }
    h.extensions.push_back({id, block.subspan(i + 1, len)});
    i += 1 + len;
  }
  return true;
}

// RFC 8285 §4.3: two-byte elements (id, length; a zero length is allowed).
bool rtpParseTwoByte(std::span<const uint8_t> block, size_t base, RtpHeader& h,
                     std::string& error) {
  size_t i = 0;
  while (i < block.size()) {
    const uint8_t id = block[i];
    if (id == 0) {  // padding byte
      ++i;
      continue;
    }
    if (i + 2 > block.size()) {
      error =
          fmt::format("rtp: two-byte extension id {} at offset {}: no length byte", id, base + i);
      return false;
    }
    const size_t len = block[i + 1];
    if (i + 2 + len > block.size()) {
      error = fmt::format(
          "rtp: two-byte extension id {} at offset {}: {} bytes run past the "
          "extension block ({} left)",
          id, base + i, len, block.size() - i - 2);
      return false;
    }
    h.extensions.push_back({id, block.subspan(i + 2, len)});
    i += 2 + len;
  }
  return true;
}

// The extension block at `offset` (X bit set): its 4-byte header and its elements.
bool rtpParseExtensionBlock(std::span<const uint8_t> packet, size_t& offset, RtpHeader& h,
                            std::string& error) {
  if (packet.size() - offset < 4) {
    error = fmt::format("rtp: extension header at offset {} needs 4 bytes, {} left", offset,
                        packet.size() - offset);
    return false;
  }
  core::ByteReader r(packet.subspan(offset, 4));
  h.extensionProfile = r.u16();
  const size_t words = r.u16();
  const size_t bytes = words * 4;
  if (packet.size() - offset - 4 < bytes) {
    error = fmt::format("rtp: extension length {} words at offset {} needs {} bytes, {} left",
                        words, offset + 2, bytes, packet.size() - offset - 4);
    return false;
  }
  const auto block = packet.subspan(offset + 4, bytes);
  const size_t base = offset + 4;
  offset += 4 + bytes;
  if (h.extensionProfile == kRtpOneByteProfile) return rtpParseOneByte(block, base, h, error);
  if ((h.extensionProfile & kRtpTwoByteProfileMask) == kRtpTwoByteProfile) {
    return rtpParseTwoByte(block, base, h, error);
  }
  return true;  // another profile's extension: skipped
}

bool rtpUsesOneByteForm(const std::vector<RtpExtension>& extensions) {
  for (const auto& e : extensions) {
    if (e.id < 1 || e.id > 14 || e.data.empty() || e.data.size() > 16) return false;
  }
  return true;
}

// The extension block (profile, length, elements, zero padding to 32 bits).
void rtpWriteExtensions(const std::vector<RtpExtension>& extensions, core::ByteWriter& w) {
  const bool oneByte = rtpUsesOneByteForm(extensions);
  const size_t start = w.size();
  w.u16(oneByte ? kRtpOneByteProfile : kRtpTwoByteProfile);
  w.u16(0);  // length, patched below
  for (const auto& e : extensions) {
    if (oneByte) {
      w.u8(static_cast<uint8_t>(e.id << 4 | (e.data.size() - 1)));
    } else {
      if (e.id == 0 || e.data.size() > 255) continue;
      w.u8(e.id);
      w.u8(static_cast<uint8_t>(e.data.size()));
    }
    w.bytes(e.data);
  }
  while ((w.size() - start) % 4 != 0) w.u8(0);
  const size_t words = (w.size() - start - 4) / 4;
  w.vector()[start + 2] = static_cast<uint8_t>(words >> 8);
  w.vector()[start + 3] = static_cast<uint8_t>(words);
}

}  // namespace

std::optional<std::span<const uint8_t>> RtpHeader::extension(uint8_t id) const {
  for (const auto& e : extensions) {
    if (e.id == id) return e.data;
  }
  return std::nullopt;
}

std::optional<RtpHeader> parseRtp(std::span<const uint8_t> packet, std::string& error) {
  if (packet.size() < kRtpFixedHeader) {
    error = fmt::format("rtp: {} bytes, the fixed header needs {}", packet.size(), kRtpFixedHeader);
    return std::nullopt;
  }
  core::ByteReader r(packet);
  const uint8_t b0 = r.u8();
  const uint8_t b1 = r.u8();
  if ((b0 >> 6) != 2) {
    error = fmt::format("rtp: version {} at offset 0, must be 2", b0 >> 6);
    return std::nullopt;
  }
  RtpHeader h;
  h.marker = (b1 & 0x80) != 0;
  h.pt = b1 & 0x7F;
  h.seq = r.u16();
  h.timestamp = r.u32();
  h.ssrc = r.u32();
  const size_t csrcCount = b0 & 0x0F;
  size_t offset = kRtpFixedHeader;
  if (packet.size() - offset < csrcCount * 4) {
    error = fmt::format("rtp: {} CSRCs at offset {} need {} bytes, {} left", csrcCount, offset,
                        csrcCount * 4, packet.size() - offset);
    return std::nullopt;
  }
  for (size_t i = 0; i < csrcCount; ++i) h.csrcs.push_back(r.u32());
  offset += csrcCount * 4;
  if ((b0 & 0x10) != 0 && !rtpParseExtensionBlock(packet, offset, h, error)) return std::nullopt;
  h.headerSize = offset;
  const size_t rest = packet.size() - offset;
  if ((b0 & 0x20) != 0) {
    // NOTE: the last byte counts the padding, itself included (RFC 3550 §5.1).
    const uint8_t count = packet.back();
    if (count == 0 || count > rest) {
      error = fmt::format("rtp: padding count {} at offset {} with {} bytes after the header",
                          count, packet.size() - 1, rest);
      return std::nullopt;
    }
    h.padding = count;
  }
  h.payloadSize = rest - h.padding;
  return h;
}

std::vector<uint8_t> buildRtp(const RtpHeader& header,
                              std::span<const core::SharedBuffer> payloadParts) {
  size_t payload = 0;
  for (const auto& part : payloadParts) payload += part.size();
  const size_t csrcCount = std::min<size_t>(header.csrcs.size(), 15);
  core::ByteWriter w(kRtpFixedHeader + csrcCount * 4 + 64 + payload + header.padding);
  const bool withExtensions = !header.extensions.empty();
  w.u8(static_cast<uint8_t>(0x80 | (header.padding != 0 ? 0x20 : 0) | (withExtensions ? 0x10 : 0) |
                            csrcCount));
  w.u8(static_cast<uint8_t>((header.marker ? 0x80 : 0) | (header.pt & 0x7F)));
  w.u16(header.seq);
  w.u32(header.timestamp);
  w.u32(header.ssrc);
  for (size_t i = 0; i < csrcCount; ++i) w.u32(header.csrcs[i]);
  if (withExtensions) rtpWriteExtensions(header.extensions, w);
  for (const auto& part : payloadParts) w.bytes(part.span());
  if (header.padding != 0) {
    for (size_t i = 1; i < header.padding; ++i) w.u8(0);
    w.u8(header.padding);
  }
  return w.take();
}

void writeFixedRtpHeader(const RtpHeader& header, std::span<uint8_t, kRtpFixedHeaderBytes> out) {
  static_assert(kRtpFixedHeaderBytes == kRtpFixedHeader);
  out[0] = 0x80;
  out[1] = static_cast<uint8_t>((header.marker ? 0x80 : 0) | (header.pt & 0x7F));
  out[2] = static_cast<uint8_t>(header.seq >> 8);
  out[3] = static_cast<uint8_t>(header.seq);
  for (int i = 0; i < 4; ++i) {
    out[4 + i] = static_cast<uint8_t>(header.timestamp >> (24 - 8 * i));
    out[8 + i] = static_cast<uint8_t>(header.ssrc >> (24 - 8 * i));
  }
}

}  // namespace webrtc
