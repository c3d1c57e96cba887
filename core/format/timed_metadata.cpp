#include "core/format/timed_metadata.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>

#include "core/buffer/byte_io.hpp"
#include "core/format/avc_config.hpp"
#include "core/format/mp4_boxes.hpp"

namespace core {

namespace {

constexpr size_t kId3HeaderBytes = 10;
constexpr size_t kId3FrameHeaderBytes = 10;
constexpr uint8_t kId3EncodingLatin1 = 0;
constexpr uint8_t kId3EncodingUtf16Bom = 1;
constexpr uint8_t kId3EncodingUtf16Be = 2;
constexpr uint8_t kId3EncodingUtf8 = 3;
constexpr uint8_t kNalTypeSei = 6;
constexpr size_t kSeiTypeUserDataUnregistered = 5;

size_t addSaturating(size_t a, size_t b) {
  return b > std::numeric_limits<size_t>::max() - a ? std::numeric_limits<size_t>::max() : a + b;
}

// NOTE: id3v2.4.0-structure 6.2: 7 bits per byte, the top bit always zero.
bool readSyncsafe32(std::span<const uint8_t> b, uint32_t& out) {
  out = 0;
  for (uint8_t byte : b) {
    if (byte & 0x80) return false;
    out = (out << 7) | byte;
  }
  return b.size() == 4;
}

void appendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// UTF-16 (encoding 1: BOM decides the byte order, big-endian without one; 2: BE) -> UTF-8.
// Unpaired surrogates become U+FFFD.
bool decodeUtf16(std::span<const uint8_t> b, bool bigEndian, std::string& out) {
  if (b.size() % 2 != 0) return false;
  if (b.size() >= 2 && ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == 0xFE && b[1] == 0xFF))) {
    bigEndian = b[0] == 0xFE;
    b = b.subspan(2);
  }
  auto unit = [&](size_t i) -> uint32_t {
    return bigEndian ? (b[i] << 8 | b[i + 1]) : (b[i + 1] << 8 | b[i]);
  };
  for (size_t i = 0; i < b.size(); i += 2) {
    uint32_t cp = unit(i);
    if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < b.size()) {
      const uint32_t low = unit(i + 2);
      if (low >= 0xDC00 && low < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        i += 2;
      }
    }
    appendUtf8(out, cp >= 0xD800 && cp < 0xE000 ? 0xFFFD : cp);
  }
  return true;
}

bool decodeId3Text(uint8_t encoding, std::span<const uint8_t> b, std::string& out) {
  out.clear();
  if (encoding == kId3EncodingLatin1) {
    for (uint8_t c : b) appendUtf8(out, c);
    return true;
  }
  if (encoding == kId3EncodingUtf8) {
    out.assign(b.begin(), b.end());
    return true;
  }
  return decodeUtf16(b, true, out);
}

// Splits a TXXX body (after the encoding byte) at the description terminator: one 0x00,
// or an aligned 0x00 0x00 for UTF-16. Returns the terminator's offset or npos.
size_t findTerminator(std::span<const uint8_t> b, bool wide) {
  const size_t step = wide ? 2 : 1;
  for (size_t i = 0; i + step <= b.size(); i += step) {
    if (b[i] == 0 && (!wide || b[i + 1] == 0)) return i;
  }
  return std::string::npos;
}

bool parseTxxx(std::span<const uint8_t> data, Id3Frame& frame, std::string& error) {
  if (data.empty()) {
    error = "ID3: TXXX frame is empty";
    return false;
  }
  const uint8_t encoding = data[0];
  if (encoding > kId3EncodingUtf8) {
    error = "ID3: TXXX text encoding " + std::to_string(encoding) + " unknown";
    return false;
  }
  const bool wide = encoding == kId3EncodingUtf16Bom || encoding == kId3EncodingUtf16Be;
  const size_t termBytes = wide ? 2 : 1;
  std::span<const uint8_t> rest = data.subspan(1);
  const size_t term = findTerminator(rest, wide);
  if (term == std::string::npos) {
    error = "ID3: TXXX description is not terminated";
    return false;
  }
  std::span<const uint8_t> value = rest.subspan(term + termBytes);
  // NOTE: v2.4 allows (and v2.3 writers add) a terminator after the value too.
  if (value.size() >= termBytes && findTerminator(value.last(termBytes), wide) == 0) {
    value = value.first(value.size() - termBytes);
  }
  if (!decodeId3Text(encoding, rest.first(term), frame.description) ||
      !decodeId3Text(encoding, value, frame.value)) {
    error = "ID3: TXXX UTF-16 text has an odd byte count";
    return false;
  }
  return true;
}

// Drops the frame's extra header fields (grouping id, data length indicator) and
// rejects what would change the bytes (compression, encryption, unsynchronisation).
bool unwrapTxxxFlags(int major, uint16_t flags, std::span<const uint8_t>& data,
                     std::string& error) {
  size_t extra = 0;
  if (major == 4) {
    if (flags & 0x000E) {
      error = "ID3: TXXX frame is compressed, encrypted or unsynchronised";
      return false;
    }
    extra = (flags & 0x0040 ? 1 : 0) + (flags & 0x0001 ? 4 : 0);
  } else {
    if (flags & 0x00C0) {
      error = "ID3: TXXX frame is compressed or encrypted";
      return false;
    }
    extra = flags & 0x0020 ? 1 : 0;
  }
  if (extra > data.size()) {
    error = "ID3: TXXX frame shorter than its flag fields";
    return false;
  }
  data = data.subspan(extra);
  return true;
}

bool isFrameIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool parseId3Frame(ByteReader& in, int major, std::vector<Id3Frame>& frames, std::string& error) {
  const size_t offset = kId3HeaderBytes + in.position();
  if (in.remaining() < kId3FrameHeaderBytes) {
    error = "ID3: truncated frame header at offset " + std::to_string(offset);
    return false;
  }
  Id3Frame frame;
  frame.id = std::string(in.string(4));
  if (!std::all_of(frame.id.begin(), frame.id.end(), isFrameIdChar)) {
    error = "ID3: bad frame id at offset " + std::to_string(offset);
    return false;
  }
  uint32_t size = 0;
  std::span<const uint8_t> sizeBytes = in.bytes(4);
  if (major == 4 && !readSyncsafe32(sizeBytes, size)) {
    error = "ID3: frame " + frame.id + " size is not syncsafe";
    return false;
  }
  if (major == 3) size = sizeBytes[0] << 24 | sizeBytes[1] << 16 | sizeBytes[2] << 8 | sizeBytes[3];
  const uint16_t flags = in.u16();
  if (size > in.remaining()) {
    error = "ID3: frame " + frame.id + " size " + std::to_string(size) + " overruns tag (" +
            std::to_string(in.remaining()) + " bytes left)";
    return false;
  }
  std::span<const uint8_t> data = in.bytes(size);
  if (frame.id == "TXXX") {
    if (!unwrapTxxxFlags(major, flags, data, error) || !parseTxxx(data, frame, error)) {
      return false;
    }
  } else {
    frame.value.assign(data.begin(), data.end());
  }
  frames.push_back(std::move(frame));
  return true;
}

bool skipExtendedHeader(ByteReader& in, int major, std::string& error) {
  std::span<const uint8_t> sizeBytes = in.bytes(4);
  uint32_t size = 0;
  if (!in.ok()) {
    error = "ID3: truncated extended header";
    return false;
  }
  if (major == 4) {
    // v2.4: syncsafe, counts its own 4 bytes.
    if (!readSyncsafe32(sizeBytes, size) || size < 6) {
      error = "ID3: bad extended header size";
      return false;
    }
    size -= 4;
  } else {
    // v2.3: plain 32-bit, excludes its own 4 bytes.
    size = sizeBytes[0] << 24 | sizeBytes[1] << 16 | sizeBytes[2] << 8 | sizeBytes[3];
  }
  if (size > in.remaining()) {
    error = "ID3: extended header overruns tag";
    return false;
  }
  in.skip(size);
  return true;
}

}  // namespace

namespace {

template <typename Text>
size_t tagSize(std::span<const Text> values, std::string_view description) {
  size_t total = kId3HeaderBytes;
  for (const Text& v : values) {
    total = addSaturating(total, kId3FrameHeaderBytes + 2);
    total = addSaturating(total, description.size());
    total = addSaturating(total, v.size());
  }
  return total;
}

template <typename Text>
std::vector<uint8_t> buildTag(std::span<const Text> values, std::string_view description) {
  const size_t total = tagSize(values, description);
  if (values.empty() || description.find('\0') != std::string_view::npos ||
      total > kMaxId3TagBytes) {
    return {};
  }
  // NOTE: the size is known, so every piece is stored in place: element by
  // element appends were most of the cost of an HLS output's room events.
  std::vector<uint8_t> out(total);
  uint8_t* o = out.data();
  auto put = [&o](std::string_view bytes) {
    std::memcpy(o, bytes.data(), bytes.size());
    o += bytes.size();
  };
  auto putSyncsafe = [&o](uint32_t v) {
    for (int shift = 21; shift >= 0; shift -= 7) *o++ = static_cast<uint8_t>((v >> shift) & 0x7F);
  };
  put("ID3");
  *o++ = 4;  // version 2.4.0
  *o++ = 0;
  *o++ = 0;  // flags: no unsynchronisation, extended header, experimental, footer
  putSyncsafe(static_cast<uint32_t>(total - kId3HeaderBytes));
  for (const Text& v : values) {
    put("TXXX");
    putSyncsafe(static_cast<uint32_t>(1 + description.size() + 1 + v.size()));
    *o++ = 0;  // frame flags
    *o++ = 0;
    *o++ = kId3EncodingUtf8;
    put(description);
    *o++ = 0;
    put(v);
  }
  return out;
}

}  // namespace

size_t id3TagSize(std::span<const std::string> values, std::string_view description) {
  return tagSize(values, description);
}

size_t id3TagSize(std::span<const std::string_view> values, std::string_view description) {
  return tagSize(values, description);
}

std::vector<uint8_t> buildId3Tag(std::span<const std::string> values,
                                 std::string_view description) {
  return buildTag(values, description);
}

std::vector<uint8_t> buildId3Tag(std::span<const std::string_view> values,
                                 std::string_view description) {
  return buildTag(values, description);
}

bool parseId3Tag(std::span<const uint8_t> bytes, std::vector<Id3Frame>& frames,
                 std::string& error) {
  frames.clear();
  ByteReader in(bytes);
  const std::string_view magic = in.string(3);
  const uint8_t major = in.u8();
  in.u8();  // revision
  const uint8_t flags = in.u8();
  std::span<const uint8_t> sizeBytes = in.bytes(4);
  uint32_t size = 0;
  if (!in.ok()) {
    error = "ID3: truncated header (" + std::to_string(bytes.size()) + " bytes)";
    return false;
  }
  if (magic != "ID3") {
    error = "ID3: bad magic (not \"ID3\")";
    return false;
  }
  if (major != 3 && major != 4) {
    error = "ID3: unsupported version 2." + std::to_string(major);
    return false;
  }
  if (flags & 0x80) {
    error = "ID3: tag-level unsynchronisation not supported";
    return false;
  }
  if (!readSyncsafe32(sizeBytes, size)) {
    error = "ID3: tag size is not syncsafe";
    return false;
  }
  if (size > in.remaining()) {
    error = "ID3: tag size " + std::to_string(size) + " overruns input (" +
            std::to_string(in.remaining()) + " bytes after the header)";
    return false;
  }
  std::span<const uint8_t> tag = in.bytes(size);
  ByteReader body(tag);
  if ((flags & 0x40) && !skipExtendedHeader(body, major, error)) return false;
  // NOTE: padding (id3v2.4.0-structure 3.3) is zero bytes; a frame id never starts with 0.
  while (body.remaining() > 0 && tag[body.position()] != 0) {
    if (!parseId3Frame(body, major, frames, error)) return false;
  }
  return true;
}

std::vector<uint8_t> buildEmsgV1(uint32_t timescale, uint64_t presentationTime,
                                 uint32_t eventDuration, uint32_t id, std::string_view schemeIdUri,
                                 std::string_view value, std::span<const uint8_t> messageData) {
  if (schemeIdUri.find('\0') != std::string_view::npos ||
      value.find('\0') != std::string_view::npos) {
    return {};
  }
  // header 12 + timescale 4 + presentation_time 8 + event_duration 4 + id 4 + 2 NULs
  constexpr size_t kFixed = 12 + 4 + 8 + 4 + 4 + 2;
  const size_t total =
      addSaturating(addSaturating(kFixed, schemeIdUri.size() + value.size()), messageData.size());
  if (total > std::numeric_limits<uint32_t>::max()) return {};
  ByteWriter w(total);
  {
    Mp4Box box(w, "emsg", 1, 0);
    w.u32(timescale);
    w.u64(presentationTime);
    w.u32(eventDuration);
    w.u32(id);
    w.string(schemeIdUri);
    w.u8(0);
    w.string(value);
    w.u8(0);
    w.bytes(messageData);
  }
  return w.take();
}

namespace {

// Reads a NUL-terminated string; `all` is the span `in` reads from.
bool readCString(std::span<const uint8_t> all, ByteReader& in, std::string& out) {
  std::span<const uint8_t> rest = all.subspan(std::min(in.position(), all.size()));
  const auto nul = std::find(rest.begin(), rest.end(), uint8_t{0});
  if (nul == rest.end()) return false;
  out = std::string(in.string(static_cast<size_t>(nul - rest.begin())));
  in.skip(1);
  return true;
}

bool parseEmsgFields(std::span<const uint8_t> body, EmsgBox& out, std::string& error) {
  ByteReader in(body);
  out.version = in.u8();
  in.u24();  // flags
  if (!in.ok()) {
    error = "emsg: truncated full box header";
    return false;
  }
  if (out.version > 1) {
    error = "emsg: unsupported version " + std::to_string(out.version);
    return false;
  }
  if (out.version == 1) {
    out.timescale = in.u32();
    out.presentationTime = in.u64();
    out.eventDuration = in.u32();
    out.id = in.u32();
  }
  if (!readCString(body, in, out.schemeIdUri)) {
    error = "emsg: scheme_id_uri is not NUL-terminated";
    return false;
  }
  if (!readCString(body, in, out.value)) {
    error = "emsg: value is not NUL-terminated";
    return false;
  }
  if (out.version == 0) {
    out.timescale = in.u32();
    out.presentationTime = in.u32();  // presentation_time_delta
    out.eventDuration = in.u32();
    out.id = in.u32();
  }
  if (!in.ok()) {
    error = "emsg: truncated fields (version " + std::to_string(out.version) + ")";
    return false;
  }
  std::span<const uint8_t> data = in.rest();
  out.messageData.assign(data.begin(), data.end());
  return true;
}

}  // namespace

bool parseEmsg(std::span<const uint8_t> box, EmsgBox& out, std::string& error) {
  out = EmsgBox{};
  ByteReader in(box);
  uint64_t size = in.u32();
  const std::string_view type = in.string(4);
  if (size == 1) size = in.u64();  // largesize
  if (!in.ok()) {
    error = "emsg: truncated box header (" + std::to_string(box.size()) + " bytes)";
    return false;
  }
  if (size == 0) size = box.size();  // box extends to the end of the input
  if (type != "emsg") {
    error = "emsg: box type is not 'emsg'";
    return false;
  }
  const size_t header = in.position();
  if (size < header) {
    error = "emsg: box size " + std::to_string(size) + " smaller than its header";
    return false;
  }
  if (size > box.size()) {
    error = "emsg: box size " + std::to_string(size) + " overruns input (" +
            std::to_string(box.size()) + " bytes)";
    return false;
  }
  return parseEmsgFields(box.subspan(header, static_cast<size_t>(size) - header), out, error);
}

namespace {

// NOTE: H.264 7.4.1: within a NAL unit, 00 00 followed by 00..03 must be escaped with a
// 03 so no start code (00 00 01) can appear.
void appendWithEmulationPrevention(std::span<const uint8_t> rbsp, std::vector<uint8_t>& out) {
  int zeros = 0;
  for (uint8_t b : rbsp) {
    if (zeros >= 2 && b <= 0x03) {
      out.push_back(0x03);
      zeros = 0;
    }
    out.push_back(b);
    zeros = b == 0 ? zeros + 1 : 0;
  }
}

// payloadType / payloadSize: 0xFF bytes each add 255, the first other byte ends it (7.3.2.3.1).
bool readSeiValue(std::span<const uint8_t> rbsp, size_t& pos, size_t& value) {
  value = 0;
  while (pos < rbsp.size()) {
    const uint8_t b = rbsp[pos++];
    value += b;
    if (b != 0xFF) return true;
  }
  return false;
}

// more_rbsp_data(): false once only the stop bit 0x80 and zero bytes remain.
bool moreRbspData(std::span<const uint8_t> rbsp, size_t pos) {
  if (pos >= rbsp.size()) return false;
  if (rbsp[pos] != 0x80) return true;
  return !std::all_of(rbsp.begin() + pos + 1, rbsp.end(), [](uint8_t b) { return b == 0; });
}

}  // namespace

std::vector<uint8_t> buildSeiUserDataUnregistered(const std::array<uint8_t, 16>& uuid,
                                                  std::span<const uint8_t> payload) {
  std::vector<uint8_t> rbsp;
  rbsp.reserve(payload.size() + 32);
  rbsp.push_back(kSeiTypeUserDataUnregistered);
  size_t size = uuid.size() + payload.size();
  for (; size >= 255; size -= 255) rbsp.push_back(0xFF);
  rbsp.push_back(static_cast<uint8_t>(size));
  rbsp.insert(rbsp.end(), uuid.begin(), uuid.end());
  rbsp.insert(rbsp.end(), payload.begin(), payload.end());
  rbsp.push_back(0x80);  // rbsp_trailing_bits: stop bit + alignment zeros
  std::vector<uint8_t> nal;
  nal.reserve(rbsp.size() + rbsp.size() / 64 + 2);
  nal.push_back(kNalTypeSei);  // forbidden_zero_bit 0, nal_ref_idc 0, type 6
  appendWithEmulationPrevention(rbsp, nal);
  return nal;
}

bool parseSeiUserDataUnregistered(std::span<const uint8_t> nal, std::array<uint8_t, 16>& uuid,
                                  std::vector<uint8_t>& payload, std::string& error) {
  if (nal.empty() || (nal[0] & 0x80) || (nal[0] & 0x1F) != kNalTypeSei) {
    error = nal.empty() ? "SEI: empty NAL unit"
                        : "SEI: NAL type " + std::to_string(nal[0] & 0x1F) + " (header byte " +
                              std::to_string(nal[0]) + ") is not SEI (6)";
    return false;
  }
  const std::vector<uint8_t> rbsp = removeEmulationPrevention(nal.subspan(1));
  size_t pos = 0;
  bool found = false;
  // Walk every message so a cut NAL (no stop bit) is rejected, keep the first type 5.
  while (moreRbspData(rbsp, pos)) {
    size_t type = 0;
    size_t size = 0;
    if (!readSeiValue(rbsp, pos, type) || !readSeiValue(rbsp, pos, size)) {
      error = "SEI: truncated payload type or size";
      return false;
    }
    if (size > rbsp.size() - pos) {
      error = "SEI: payload size " + std::to_string(size) + " overruns NAL (" +
              std::to_string(rbsp.size() - pos) + " bytes left)";
      return false;
    }
    if (type == kSeiTypeUserDataUnregistered && !found) {
      if (size < uuid.size()) {
        error = "SEI: user_data_unregistered shorter than its 16-byte UUID";
        return false;
      }
      std::copy_n(rbsp.begin() + pos, uuid.size(), uuid.begin());
      payload.assign(rbsp.begin() + pos + uuid.size(), rbsp.begin() + pos + size);
      found = true;
    }
    pos += size;
  }
  if (pos >= rbsp.size()) {
    error = "SEI: missing rbsp_trailing_bits (NAL cut short?)";
    return false;
  }
  if (!found) error = "SEI: no user_data_unregistered message";
  return found;
}

std::string formatVttTime(int64_t ms) {
  if (ms < 0) ms = 0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%02" PRId64 ":%02" PRId64 ":%02" PRId64 ".%03" PRId64,
                ms / 3600000, ms / 60000 % 60, ms / 1000 % 60, ms % 1000);
  return buf;
}

namespace {

// Escapes &, <, > (so "-->" cannot appear) and keeps only lines with visible text: an
// empty line would end the cue (WebVTT 4.1 "cue payload").
std::string vttCueText(std::string_view text) {
  std::string out;
  std::string line;
  auto flush = [&] {
    if (line.find_first_not_of(" \t\f") != std::string::npos) {
      if (!out.empty()) out += '\n';
      out += line;
    }
    line.clear();
  };
  for (char c : text) {
    switch (c) {
      case '\r':
      case '\n':
        flush();
        break;
      case '&':
        line += "&amp;";
        break;
      case '<':
        line += "&lt;";
        break;
      case '>':
        line += "&gt;";
        break;
      case '\0':
        line += "\xEF\xBF\xBD";
        break;  // WebVTT parsers replace NUL with U+FFFD
      default:
        line += c;
    }
  }
  flush();
  return out;
}

}  // namespace

std::string buildWebVtt(std::span<const VttCue> cues, std::optional<int64_t> mpegts90k,
                        int64_t localMs) {
  std::string out = "WEBVTT\n";
  if (mpegts90k) {
    // NOTE: RFC 8216 3.5: maps the cue clock (LOCAL) onto the 90 kHz MPEG-2 TS clock.
    out += "X-TIMESTAMP-MAP=MPEGTS:" + std::to_string(*mpegts90k) +
           ",LOCAL:" + formatVttTime(localMs) + "\n";
  }
  out += '\n';
  for (const VttCue& cue : cues) {
    out += formatVttTime(cue.startMs) + " --> " + formatVttTime(std::max(cue.endMs, cue.startMs)) +
           "\n";
    const std::string text = vttCueText(cue.text);
    if (!text.empty()) out += text + "\n";
    out += '\n';
  }
  return out;
}

}  // namespace core
