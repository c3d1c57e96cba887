// MediaPacket: one audio/video/data unit inside the hub, a small value type.
// The payload is in the hub's canonical form: video = AVCC (length-prefixed NAL
// units) or, for config packets, the AVCDecoderConfigurationRecord; audio = raw AAC
// frame or, for config, the AudioSpecificConfig; data = an AMF0-encoded script
// message (e.g. onMetaData). Serialized wire forms are cached per packet in
// `wire`, built once by the first sink of that format and shared by all others.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "core/buffer/shared_buffer.hpp"

namespace core {

enum class MediaKind : uint8_t { Audio, Video, Data };
// RoomEvent: a Data packet from the room (the sidechannel, S1): AMF0 `onTextData`
// {type: "Text", text: <the event's JSON>} on the stream clock.
enum class Codec : uint8_t { Unknown, H264, H265, AAC, Opus, Mp3, Amf0, RoomEvent };

// Slots of the per-packet wire cache. A slot is only a label: the bytes are built
// by the protocol that owns the format.
enum class WireFormat : uint8_t { RtmpChunks, FlvTag, kCount };

struct WireCache {
  std::array<SharedBuffer, static_cast<size_t>(WireFormat::kCount)> forms;
};

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

  int32_t compositionOffset() const { return static_cast<int32_t>(pts - dts); }
  bool isVideo() const { return kind == MediaKind::Video; }
  bool isAudio() const { return kind == MediaKind::Audio; }

  // The cached form for `format`, built with `build(const MediaPacket&)` on first use.
  template <typename Builder>
  const SharedBuffer& wireForm(WireFormat format, Builder&& build) const {
    auto& slot = wire->forms[static_cast<size_t>(format)];
    if (slot.empty()) slot = build(*this);
    return slot;
  }
};

}  // namespace core
