#include "core/format/flv_tag.hpp"

#include <array>
#include <cstring>

#include "core/buffer/byte_io.hpp"

namespace core {

namespace {

constexpr uint8_t kCodecIdAvc = 7;
constexpr uint8_t kSoundFormatMp3 = 2;
constexpr uint8_t kSoundFormatAac = 10;
// NOTE: E.4.2.1: for AAC SoundRate must be 3 (44 kHz), SoundSize 1 (16 bit) and SoundType
// 1 (stereo) whatever the real stream is; decoders read the AudioSpecificConfig.
constexpr uint8_t kAacHeaderByte = (kSoundFormatAac << 4) | 0x0F;
constexpr uint8_t kMp3HeaderByte = (kSoundFormatMp3 << 4) | 0x0F;
constexpr uint8_t kFrameKey = 1;
constexpr uint8_t kFrameInter = 2;
constexpr uint8_t kFrameCommand = 5;
constexpr uint8_t kExHeaderBit = 0x80;
constexpr uint32_t kFourCcHevc = 0x68766331;  // 'hvc1'
constexpr uint32_t kFourCcAvc = 0x61766331;   // 'avc1'

// Enhanced RTMP video packet types.
enum ExPacketType : uint8_t {
  kSequenceStart = 0,
  kCodedFrames = 1,
  kSequenceEnd = 2,
  kCodedFramesX = 3,
  kMetadata = 4,
  kMpeg2TsSequenceStart = 5,
  kMultitrack = 6,
};

int32_t signExtend24(uint32_t v) {
  return static_cast<int32_t>(v << 8) >> 8;
}

std::string fourCcText(uint32_t fourCc) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>(fourCc >> shift);
    s += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return s;
}

// A few bytes written in place (a tag's headers), with ByteWriter's calls.
struct SmallWriter {
  std::array<uint8_t, 32> bytes;
  size_t size = 0;
  void u8(uint8_t v) { bytes[size++] = v; }
  void u24(uint32_t v) {
    u8(static_cast<uint8_t>(v >> 16));
    u8(static_cast<uint8_t>(v >> 8));
    u8(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u8(static_cast<uint8_t>(v >> 24));
    u24(v);
  }
};

// Writes the tag body header of `p` (everything before the payload). False if FLV
// cannot carry the codec.
template <typename Writer>
bool writeBodyHeader(const MediaPacket& p, Writer& out) {
  const uint32_t cts = static_cast<uint32_t>(p.config ? 0 : p.compositionOffset()) & 0xFFFFFF;
  const uint8_t frameType = p.keyframe ? kFrameKey : kFrameInter;
  if (p.kind == MediaKind::Data) return true;
  if (p.kind == MediaKind::Video && p.codec == Codec::H264) {
    out.u8(static_cast<uint8_t>(frameType << 4 | kCodecIdAvc));
    out.u8(p.config ? 0 : 1);
    out.u24(cts);
    return true;
  }
  if (p.kind == MediaKind::Video && p.codec == Codec::H265) {
    out.u8(static_cast<uint8_t>(kExHeaderBit | frameType << 4 |
                                (p.config ? kSequenceStart : kCodedFrames)));
    out.u32(kFourCcHevc);
    if (!p.config) out.u24(cts);
    return true;
  }
  if (p.kind == MediaKind::Audio && p.codec == Codec::AAC) {
    out.u8(kAacHeaderByte);
    out.u8(p.config ? 0 : 1);
    return true;
  }
  if (p.kind == MediaKind::Audio && p.codec == Codec::Mp3) {
    out.u8(kMp3HeaderByte);
    return true;
  }
  return false;
}

template <typename Writer>
void writeTagHeader(Writer& out, uint8_t tagType, uint32_t timestampMs, uint32_t size) {
  out.u8(tagType);
  out.u24(size);
  out.u24(timestampMs & 0xFFFFFF);
  out.u8(static_cast<uint8_t>(timestampMs >> 24));  // TimestampExtended
  out.u24(0);                                       // StreamID
}

ParsedTag ignored(std::string reason) {
  ParsedTag t;
  t.status = ParsedTag::Status::Ignored;
  t.reason = std::move(reason);
  return t;
}

ParsedTag error(std::string reason) {
  ParsedTag t;
  t.status = ParsedTag::Status::Error;
  t.reason = std::move(reason);
  return t;
}

ParsedTag videoPacket(Codec codec, uint32_t ts, int32_t cts, bool key, bool config,
                      SharedBuffer payload) {
  ParsedTag t;
  t.status = ParsedTag::Status::Packet;
  t.packet.kind = MediaKind::Video;
  t.packet.codec = codec;
  t.packet.dts = ts;
  t.packet.pts = int64_t(ts) + cts;
  t.packet.keyframe = key;
  t.packet.config = config;
  t.packet.payload = std::move(payload);
  return t;
}

ParsedTag parseLegacyAvc(uint32_t ts, const SharedBuffer& body, uint8_t frameType) {
  if (body.size() < 5) {
    return error("truncated AVC video tag: " + std::to_string(body.size()) +
                 " bytes, need at least 5");
  }
  const uint8_t packetType = body[1];
  const int32_t cts = signExtend24(uint32_t(body[2]) << 16 | body[3] << 8 | body[4]);
  const bool key = frameType == kFrameKey;
  switch (packetType) {
    case 0:
      if (body.size() == 5) return error("empty AVC sequence header");
      return videoPacket(Codec::H264, ts, cts, key, true, body.slice(5));
    case 1:
      return videoPacket(Codec::H264, ts, cts, key, false, body.slice(5));
    case 2:
      return ignored("AVC end of sequence");
    default:
      return error("unknown AVCPacketType " + std::to_string(packetType));
  }
}

// NOTE: enhanced RTMP (veovera enhanced-rtmp v1): IsExHeader | FrameType(3) |
// PacketType(4), then a FourCC; CodedFrames carries an SI24 composition time,
// CodedFramesX implies 0.
ParsedTag parseExVideo(uint32_t ts, const SharedBuffer& body) {
  const uint8_t frameType = (body[0] >> 4) & 0x07;
  const uint8_t packetType = body[0] & 0x0F;
  if (frameType == kFrameCommand) return ignored("video command frame");
  if (packetType == kMultitrack) return ignored("enhanced RTMP multitrack video not supported");
  if (body.size() < 5) {
    return error("truncated enhanced video tag: " + std::to_string(body.size()) +
                 " bytes, need at least 5");
  }
  const uint32_t fourCc = uint32_t(body[1]) << 24 | body[2] << 16 | body[3] << 8 | body[4];
  Codec codec = Codec::Unknown;
  if (fourCc == kFourCcHevc) codec = Codec::H265;
  if (fourCc == kFourCcAvc) codec = Codec::H264;
  if (codec == Codec::Unknown) {
    ParsedTag t = ignored("unsupported video FourCC '" + fourCcText(fourCc) + "'");
    t.packet.kind = MediaKind::Video;
    t.packet.dts = t.packet.pts = ts;
    t.packet.payload = body;
    return t;
  }
  const bool key = frameType == kFrameKey;
  switch (packetType) {
    case kSequenceStart:
      if (body.size() == 5) return error("empty " + fourCcText(fourCc) + " sequence start");
      return videoPacket(codec, ts, 0, key, true, body.slice(5));
    case kCodedFrames: {
      if (body.size() < 8) {
        return error("truncated enhanced video CodedFrames: " + std::to_string(body.size()) +
                     " bytes, need at least 8");
      }
      const int32_t cts = signExtend24(uint32_t(body[5]) << 16 | body[6] << 8 | body[7]);
      return videoPacket(codec, ts, cts, key, false, body.slice(8));
    }
    case kCodedFramesX:
      return videoPacket(codec, ts, 0, key, false, body.slice(5));
    case kSequenceEnd:
      return ignored("enhanced video end of sequence");
    case kMetadata:
      return ignored("enhanced video metadata");
    case kMpeg2TsSequenceStart:
      return ignored("enhanced video MPEG2-TS sequence start");
    default:
      return error("unknown enhanced video PacketType " + std::to_string(packetType));
  }
}

const char* soundFormatName(uint8_t format) {
  static const char* const kNames[16] = {
      "Linear PCM",     "ADPCM",         "MP3",        "Linear PCM LE",
      "Nellymoser 16k", "Nellymoser 8k", "Nellymoser", "G.711 A-law",
      "G.711 mu-law",   "ExHeader",      "AAC",        "Speex",
      "reserved",       "reserved",      "MP3 8k",     "device-specific"};
  return kNames[format & 0x0F];
}

}  // namespace

std::vector<uint8_t> flvFileHeader(bool hasAudio, bool hasVideo) {
  ByteWriter out(kFlvFileHeaderSize + kFlvPreviousTagSizeBytes);
  out.string("FLV");
  out.u8(1);  // version
  out.u8(static_cast<uint8_t>((hasAudio ? 0x04 : 0) | (hasVideo ? 0x01 : 0)));
  out.u32(kFlvFileHeaderSize);  // DataOffset
  out.u32(0);                   // PreviousTagSize0
  return out.take();
}

SharedBuffer buildFlvTag(uint8_t tagType, uint32_t timestampMs, std::span<const uint8_t> body) {
  if (body.size() > kFlvMaxBodySize) return {};
  const uint32_t size = static_cast<uint32_t>(body.size());
  ByteWriter out(kFlvTagHeaderSize + size + kFlvPreviousTagSizeBytes);
  writeTagHeader(out, tagType, timestampMs, size);
  out.bytes(body);
  out.u32(static_cast<uint32_t>(kFlvTagHeaderSize) + size);
  return SharedBuffer::adopt(out.take());
}

uint8_t flvTagTypeOf(const MediaPacket& packet) {
  switch (packet.kind) {
    case MediaKind::Audio:
      return kFlvTagAudio;
    case MediaKind::Video:
      return kFlvTagVideo;
    case MediaKind::Data:
      return kFlvTagScript;
  }
  return kFlvTagScript;
}

uint32_t flvTimestampOf(const MediaPacket& packet) {
  if (packet.kind == MediaKind::Data && packet.config) return 0;
  return static_cast<uint32_t>(packet.dts);
}

std::vector<uint8_t> flvBodyOf(const MediaPacket& packet) {
  ByteWriter out(16 + packet.payload.size());
  if (!writeBodyHeader(packet, out)) return {};
  out.bytes(packet.payload.span());
  return out.take();
}

bool appendFlvTag(std::vector<uint8_t>& bytes, const MediaPacket& packet) {
  // NOTE: the headers are written in place and the payload appended once: byte by
  // byte appends cost more than the copy for a room event's tag.
  SmallWriter body;
  if (!writeBodyHeader(packet, body)) return false;
  const size_t bodySize = body.size + packet.payload.size();
  if (bodySize > kFlvMaxBodySize) return false;
  SmallWriter head;
  writeTagHeader(head, flvTagTypeOf(packet), flvTimestampOf(packet),
                 static_cast<uint32_t>(bodySize));
  std::memcpy(head.bytes.data() + head.size, body.bytes.data(), body.size);
  head.size += body.size;
  SmallWriter tail;
  tail.u32(static_cast<uint32_t>(kFlvTagHeaderSize + bodySize));
  bytes.reserve(bytes.size() + head.size + packet.payload.size() + tail.size);
  bytes.insert(bytes.end(), head.bytes.data(), head.bytes.data() + head.size);
  bytes.insert(bytes.end(), packet.payload.data(), packet.payload.data() + packet.payload.size());
  bytes.insert(bytes.end(), tail.bytes.data(), tail.bytes.data() + tail.size);
  return true;
}

SharedBuffer flvTagOf(const MediaPacket& packet) {
  std::vector<uint8_t> bytes;
  if (!appendFlvTag(bytes, packet)) return {};
  return SharedBuffer::adopt(std::move(bytes));
}

ParsedTag parseFlvVideo(uint32_t timestampMs, const SharedBuffer& body) {
  if (body.empty()) return error("empty video tag");
  const uint8_t first = body[0];
  if (first & kExHeaderBit) return parseExVideo(timestampMs, body);
  const uint8_t frameType = first >> 4;
  const uint8_t codecId = first & 0x0F;
  if (frameType == kFrameCommand) return ignored("video info/command frame");
  if (codecId == kCodecIdAvc) return parseLegacyAvc(timestampMs, body, frameType);
  ParsedTag t = ignored("unsupported video codec id " + std::to_string(codecId));
  t.packet.kind = MediaKind::Video;
  t.packet.codec = Codec::Unknown;
  t.packet.dts = t.packet.pts = timestampMs;
  t.packet.keyframe = frameType == kFrameKey;
  t.packet.payload = body;
  return t;
}

ParsedTag parseFlvAudio(uint32_t timestampMs, const SharedBuffer& body) {
  if (body.empty()) return error("empty audio tag");
  const uint8_t format = body[0] >> 4;
  ParsedTag t;
  t.packet.kind = MediaKind::Audio;
  t.packet.dts = t.packet.pts = timestampMs;
  if (format == kSoundFormatAac) {
    if (body.size() < 2) return error("truncated AAC audio tag: 1 byte, need at least 2");
    const uint8_t packetType = body[1];
    if (packetType > 1) return error("unknown AACPacketType " + std::to_string(packetType));
    if (packetType == 0 && body.size() == 2) return error("empty AAC sequence header");
    t.status = ParsedTag::Status::Packet;
    t.packet.codec = Codec::AAC;
    t.packet.config = packetType == 0;
    t.packet.payload = body.slice(2);
    return t;
  }
  if (format == kSoundFormatMp3) {
    t.status = ParsedTag::Status::Packet;
    t.packet.codec = Codec::Mp3;
    t.packet.payload = body.slice(1);
    return t;
  }
  return ignored("unsupported audio format " + std::to_string(format) + " (" +
                 soundFormatName(format) + ")");
}

std::optional<FlvTagHeader> parseFlvTagHeader(std::span<const uint8_t> bytes) {
  ByteReader in(bytes);
  FlvTagHeader h;
  h.tagType = in.u8() & 0x1F;  // upper bits: reserved + Filter
  h.dataSize = in.u24();
  const uint32_t low = in.u24();
  h.timestampMs = uint32_t(in.u8()) << 24 | low;
  h.streamId = in.u24();
  if (!in.ok()) return std::nullopt;
  return h;
}

}  // namespace core
