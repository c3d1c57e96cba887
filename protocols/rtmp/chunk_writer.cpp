#include "protocols/rtmp/chunk_writer.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace rtmp {
namespace {

// What goes in the first chunk's header. `field` is the timestamp (fmt 0) or the delta
// (fmt 1/2, and fmt 3 when it starts a new message); it also selects the extended form.
struct Header {
  uint8_t fmt;
  uint32_t csid;
  uint32_t field;
  uint32_t length;
  uint8_t type;
  uint32_t streamId;
};

size_t basicHeaderSize(uint32_t csid) {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}

uint8_t* putBasic(uint8_t* p, uint8_t fmt, uint32_t csid) {
  if (csid < 64) {
    *p++ = static_cast<uint8_t>(fmt << 6 | csid);
  } else if (csid < 320) {
    *p++ = static_cast<uint8_t>(fmt << 6);
    *p++ = static_cast<uint8_t>(csid - 64);
  } else {
    *p++ = static_cast<uint8_t>(fmt << 6 | 1);
    *p++ = static_cast<uint8_t>((csid - 64) & 0xFF);
    *p++ = static_cast<uint8_t>((csid - 64) >> 8);
  }
  return p;
}

uint8_t* putBE(uint8_t* p, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) *p++ = static_cast<uint8_t>(v >> (8 * i));
  return p;
}

size_t encodedSize(const Header& h, size_t payloadSize, uint32_t chunkSize) {
  size_t ext = h.field >= kExtendedTimestampMarker ? 4 : 0;
  size_t basic = basicHeaderSize(h.csid);
  size_t chunks = payloadSize == 0 ? 1 : (payloadSize + chunkSize - 1) / chunkSize;
  return basic + kMessageHeaderSize[h.fmt] + ext + (chunks - 1) * (basic + ext) + payloadSize;
}

// Writes exactly encodedSize() bytes at p.
void encode(uint8_t* p, const Header& h, std::span<const uint8_t> payload, uint32_t chunkSize) {
  bool ext = h.field >= kExtendedTimestampMarker;
  uint32_t field24 = ext ? kExtendedTimestampMarker : h.field;
  p = putBasic(p, h.fmt, h.csid);
  if (h.fmt <= 2) p = putBE(p, field24, 3);
  if (h.fmt <= 1) {
    p = putBE(p, h.length, 3);
    *p++ = h.type;
  }
  if (h.fmt == 0) {
    for (int i = 0; i < 4; ++i) *p++ = static_cast<uint8_t>(h.streamId >> (8 * i));  // LE
  }
  if (ext) p = putBE(p, h.field, 4);
  size_t pos = 0;
  while (true) {
    size_t n = std::min<size_t>(chunkSize, payload.size() - pos);
    if (n) std::memcpy(p, payload.data() + pos, n);
    p += n;
    pos += n;
    if (pos >= payload.size()) break;
    p = putBasic(p, 3, h.csid);
    // NOTE: continuation chunks repeat the extended timestamp (as librtmp/FFmpeg/OBS do).
    if (ext) p = putBE(p, h.field, 4);
  }
}

}  // namespace

void appendMessage(std::vector<uint8_t>& out, uint32_t csid, uint8_t type, uint32_t timestamp,
                   uint32_t streamId, std::span<const uint8_t> payload, uint32_t chunkSize) {
  assert(csid >= kMinCsid && csid <= kMaxCsid && chunkSize > 0);
  Header h{0, csid, timestamp, static_cast<uint32_t>(payload.size()), type, streamId};
  const size_t old = out.size();
  out.resize(old + encodedSize(h, payload.size(), chunkSize));
  encode(out.data() + old, h, payload, chunkSize);
}

core::SharedBuffer serializeMessage(uint32_t csid, uint8_t type, uint32_t timestamp,
                                    uint32_t streamId, std::span<const uint8_t> payload,
                                    uint32_t chunkSize) {
  std::vector<uint8_t> out;
  appendMessage(out, csid, type, timestamp, streamId, payload, chunkSize);
  return core::SharedBuffer::adopt(std::move(out));
}

std::vector<uint8_t> ChunkWriter::write(const RtmpMessage& m) {
  std::vector<uint8_t> out;
  writeTo(m, out);
  return out;
}

void ChunkWriter::writeTo(const RtmpMessage& m, std::vector<uint8_t>& out) {
  assert(m.csid >= kMinCsid && m.csid <= kMaxCsid && chunkSize_ > 0);
  auto length = static_cast<uint32_t>(m.payload.size());
  Header h{0, m.csid, m.timestamp, length, m.type, m.streamId};
  auto [it, fresh] = streams_.try_emplace(m.csid);
  StreamState& s = it->second;
  // NOTE: a timestamp going backwards gets fmt 0: a huge unsigned delta is legal but
  // players disagree on it.
  if (!fresh && m.streamId == s.streamId && m.timestamp >= s.timestamp) {
    uint32_t delta = m.timestamp - s.timestamp;
    h.field = delta;
    h.fmt = 1;
    if (m.type == s.type && length == s.length) {
      // NOTE: fmt 3 only after a fmt 1/2/3 header: after fmt 0, readers disagree on the
      // delta a new fmt 3 message reuses (the spec says the fmt 0 timestamp).
      h.fmt = s.deltaValid && delta == s.delta ? 3 : 2;
    }
  }
  size_t old = out.size();
  out.resize(old + encodedSize(h, length, chunkSize_));
  encode(out.data() + old, h, m.payload.span(), chunkSize_);
  s = StreamState{m.timestamp, h.field, length, m.streamId, m.type, h.fmt != 0};
}

}  // namespace rtmp
