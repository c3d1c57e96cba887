#include "protocols/webrtc/dcep_message.hpp"

#include <fmt/format.h>

#include "core/buffer/byte_io.hpp"

namespace webrtc {

namespace {

// The offset of the first byte that breaks UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), or npos when `s` is valid.
size_t dcepInvalidUtf8At(std::span<const uint8_t> s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t b = s[i];
    size_t n = 0;
    uint32_t cp = 0;
    uint32_t min = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      n = 1, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
      n = 2, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
      n = 3, cp = b & 0x07, min = 0x10000;
    } else {
      return i;
    }
    if (s.size() - i - 1 < n) return i;
    for (size_t k = 1; k <= n; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += n + 1;
  }
  return std::string::npos;
}

bool dcepKnownChannelType(uint8_t t) {
  switch (t) {
    case 0x00:
    case 0x80:
    case 0x01:
    case 0x81:
    case 0x02:
    case 0x82:
      return true;
    default:
      return false;
  }
}

// Reads one length-prefixed text field of the OPEN message into `out`.
bool dcepReadText(core::ByteReader& r, size_t length, const char* name, std::string& out,
                  std::string& error) {
  size_t at = r.position();
  if (length > r.remaining()) {
    error = fmt::format("dcep open: {} ({} bytes at offset {}) runs past the end ({} bytes)", name,
                        length, at, at + r.remaining());
    return false;
  }
  auto bytes = r.bytes(length);
  size_t bad = dcepInvalidUtf8At(bytes);
  if (bad != std::string::npos) {
    error = fmt::format("dcep open: {} is not UTF-8 (byte 0x{:02x} at offset {})", name, bytes[bad],
                        at + bad);
    return false;
  }
  out.assign(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return true;
}

}  // namespace

std::optional<DcepMessage> parseDcep(std::span<const uint8_t> bytes, std::string& error) {
  if (bytes.empty()) {
    error = "dcep: empty message (no message type at offset 0)";
    return std::nullopt;
  }
  DcepMessage m;
  m.type = bytes[0];
  if (m.type == kDcepTypeAck) return m;
  if (m.type != kDcepTypeOpen) {
    error = fmt::format("dcep: unknown message type 0x{:02x} at offset 0", m.type);
    return std::nullopt;
  }
  if (bytes.size() < kDcepOpenFixedSize) {
    error = fmt::format("dcep open: {} bytes, the fixed part needs {}", bytes.size(),
                        kDcepOpenFixedSize);
    return std::nullopt;
  }
  core::ByteReader r(bytes);
  r.skip(1);
  uint8_t channelType = r.u8();
  if (!dcepKnownChannelType(channelType)) {
    error = fmt::format("dcep open: unknown channel type 0x{:02x} at offset 1", channelType);
    return std::nullopt;
  }
  m.open.channelType = static_cast<DcepChannelType>(channelType);
  m.open.priority = r.u16();
  m.open.reliabilityParameter = r.u32();
  size_t labelLength = r.u16();
  size_t protocolLength = r.u16();
  if (!dcepReadText(r, labelLength, "label", m.open.label, error)) return std::nullopt;
  if (!dcepReadText(r, protocolLength, "protocol", m.open.protocol, error)) return std::nullopt;
  return m;
}

std::vector<uint8_t> buildDcepOpen(const DcepOpen& open) {
  if (open.label.size() > 0xFFFF || open.protocol.size() > 0xFFFF) return {};
  core::ByteWriter w(kDcepOpenFixedSize + open.label.size() + open.protocol.size());
  w.u8(kDcepTypeOpen);
  w.u8(static_cast<uint8_t>(open.channelType));
  w.u16(open.priority);
  w.u32(open.reliabilityParameter);
  w.u16(static_cast<uint16_t>(open.label.size()));
  w.u16(static_cast<uint16_t>(open.protocol.size()));
  w.string(open.label);
  w.string(open.protocol);
  return w.take();
}

std::vector<uint8_t> buildDcepAck() {
  return {kDcepTypeAck};
}

}  // namespace webrtc
