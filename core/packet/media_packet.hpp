// MediaPacket: one audio/video/data unit inside the hub, a small value type.
// The payload is in the hub's canonical form: video = AVCC (length-prefixed NAL
// units) or, for config packets, the AVCDecoderConfigurationRecord; audio = raw AAC
// frame or, for config, the AudioSpecificConfig; data = an AMF0-encoded script
// message (e.g. onMetaData). Serialized wire forms are cached per packet in
// `wire`, built once by the first sink of that format and shared by all others.
#pragma once

#include <array>
#include <cassert>
#include <cstdint>
#include <memory>
#include <string_view>
#include <span>
#include <vector>

#include "core/buffer/shared_buffer.hpp"

namespace core {

enum class MediaKind : uint8_t { Audio, Video, Data };
// RoomEvent: a Data packet from the room (the sidechannel, S1): AMF0 `onTextData`
// {type: "Text", text: <the event's JSON>} on the stream clock.
enum class Codec : uint8_t { Unknown, H264, H265, AAC, Opus, Mp3, Amf0, RoomEvent };

// "h264", "aac", ...: for logs and errors ("cannot decode h265").
inline std::string_view codecName(Codec codec) {
  switch (codec) {
    case Codec::H264:
      return "h264";
    case Codec::H265:
      return "h265";
    case Codec::AAC:
      return "aac";
    case Codec::Opus:
      return "opus";
    case Codec::Mp3:
      return "mp3";
    case Codec::Amf0:
      return "amf0";
    case Codec::RoomEvent:
      return "room event";
    case Codec::Unknown:
      break;
  }
  return "unknown";
}

// Slots of the per-packet wire cache. A slot is only a label: the bytes are built
// by the protocol that owns the format. Stream formats (a byte stream: one buffer
// per packet, which PacketBatch joins per window) come first, then datagram formats
// (a packet is several parts, e.g. RTP packets of one frame).
enum class WireFormat : uint8_t { RtmpChunks, FlvTag, RtpVideo, RtpAudio, kCount };
inline constexpr size_t kStreamFormats = 2;  // RtmpChunks, FlvTag
inline constexpr size_t kPacketFormats = static_cast<size_t>(WireFormat::kCount) - kStreamFormats;
constexpr bool isStreamFormat(WireFormat f) {
  return static_cast<size_t>(f) < kStreamFormats;
}

struct WireCache {
  std::array<SharedBuffer, kStreamFormats> forms;  // by WireFormat
  // By WireFormat - kStreamFormats; `built` tells an empty list from one not built.
  std::array<std::vector<SharedBuffer>, kPacketFormats> parts;
  std::array<bool, kPacketFormats> built{};
};

struct LeadingData;

struct MediaPacket {
  MediaKind kind = MediaKind::Data;
  Codec codec = Codec::Unknown;
  int64_t dts = 0;  // ms on the stream's clock (monotonic after hub correction)
  int64_t pts = 0;  // ms; pts - dts is the H.264 composition offset
  bool keyframe = false;
  // Sequence header (AVC/AAC config record) or, for a Data packet, onMetaData:
  // cached by the Stream and sent to every new viewer first.
  bool config = false;
  // A Data packet from inside the server that the Stream keeps, one at a time, and
  // sends to every new viewer after the headers: the room's status.
  bool sticky = false;
  SharedBuffer payload;
  // Shared between copies of this packet (fan-out, GOP cache): built lazily.
  std::shared_ptr<WireCache> wire = std::make_shared<WireCache>();
  // Data packets the Stream released just before this one (room events, S1), for
  // the sinks that write them in the same queue item (MediaSink::takesLeadingData);
  // null if none. Only the live fan-out has them, never a cached copy.
  std::shared_ptr<const LeadingData> leading;

  int32_t compositionOffset() const { return static_cast<int32_t>(pts - dts); }
  // Never dropped by a viewer's queue and never counted as lag: config packets,
  // metadata and room events (a room event's time may run ahead of the media).
  bool neverDropped() const { return config || codec == Codec::RoomEvent; }
  bool isVideo() const { return kind == MediaKind::Video; }
  bool isAudio() const { return kind == MediaKind::Audio; }

  // The cached form for a stream format, built with `build(const MediaPacket&)` on
  // first use.
  template <typename Builder>
  const SharedBuffer& wireForm(WireFormat format, Builder&& build) const {
    assert(isStreamFormat(format));
    auto& slot = wire->forms[static_cast<size_t>(format)];
    if (slot.empty()) slot = build(*this);
    return slot;
  }
  // The cached parts for a datagram format, built once with `build(const
  // MediaPacket&) -> std::vector<SharedBuffer>` and shared by every sink after.
  template <typename Builder>
  std::span<const SharedBuffer> wireParts(WireFormat format, Builder&& build) const {
    assert(!isStreamFormat(format));
    const size_t f = static_cast<size_t>(format) - kStreamFormats;
    if (!wire->built[f]) {
      wire->parts[f] = build(*this);
      wire->built[f] = true;
    }
    return wire->parts[f];
  }
  // Only with `leading`: the forms of the leading packets and then this packet's,
  // in one buffer built once for every sink of `format` with
  // `append(std::vector<uint8_t>&, const MediaPacket&)` (which appends a packet's
  // form); `leadBytes` is set to the leading packets' part. This packet's own form
  // is cached as a slice of it.
  template <typename Appender>
  const SharedBuffer& wireFormWithLeading(WireFormat format, Appender&& append,
                                          size_t& leadBytes) const;

 private:
  template <typename Appender>
  void buildWithLeading(size_t format, Appender&& append) const;
};

struct LeadingData {
  std::vector<MediaPacket> packets;  // in dts order
  // Per stream format: the leading packets' forms and then the packet's, and where
  // the packet's begins (see MediaPacket::wireFormWithLeading).
  mutable WireCache wire;  // its forms only
  mutable std::array<size_t, kStreamFormats> leadBytes{};
};

template <typename Appender>
const SharedBuffer& MediaPacket::wireFormWithLeading(WireFormat format, Appender&& append,
                                                     size_t& leadBytes) const {
  // NOTE: inline: every viewer after the first takes this path, the build is once.
  assert(isStreamFormat(format));
  const auto f = static_cast<size_t>(format);
  const SharedBuffer& slot = leading->wire.forms[f];
  if (slot.empty()) buildWithLeading(f, append);
  leadBytes = leading->leadBytes[f];
  return slot;
}

template <typename Appender>
void MediaPacket::buildWithLeading(size_t f, Appender&& append) const {
  // NOTE: the packet's form is written once, after its events, so it costs no
  // copy; the GOP cache's copy of the packet then holds a slice of this buffer.
  size_t size = payload.size() + 64;
  for (const MediaPacket& p : leading->packets) size += p.payload.size() + 64;
  std::vector<uint8_t> all;
  all.reserve(size);
  for (const MediaPacket& p : leading->packets) append(all, p);
  const size_t lead = all.size();
  auto& slot = leading->wire.forms[f];
  auto& own = wire->forms[f];
  if (own.empty()) {
    append(all, *this);
    slot = SharedBuffer::adopt(std::move(all));
    own = slot.slice(lead);
  } else {
    all.insert(all.end(), own.data(), own.data() + own.size());
    slot = SharedBuffer::adopt(std::move(all));
  }
  leading->leadBytes[f] = lead;
}

}  // namespace core
