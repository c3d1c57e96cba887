// Room events as hub packets (the sidechannel, S1): a Data packet of codec
// RoomEvent whose payload is AMF0 `onTextData` {type: "Text", text: <event JSON>},
// the shape FFmpeg's FLV reader turns into a text data stream. Pure code; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/packet/media_packet.hpp"

namespace core {

// NOTE: readers take onTextData's text as an AMF0 String (16-bit length); FFmpeg
// skips a LongString, so a longer event cannot ride in one tag.
constexpr size_t kMaxRoomEventTextBytes = 65535;

// nullopt when `json` is over kMaxRoomEventTextBytes.
std::optional<MediaPacket> makeRoomEventPacket(std::string_view json, int64_t dts);

// The same without a copy of the text: `bytes` holds kRoomEventTextOffset bytes of
// room for the AMF0 head, then the JSON text, which this writes around.
inline constexpr size_t kRoomEventTextOffset = 40;
std::optional<MediaPacket> makeRoomEventPacketAround(std::vector<uint8_t>&& bytes, int64_t dts);

// The event JSON of a RoomEvent packet (nullopt for any other packet or a payload
// that is not onTextData with a text string).
std::optional<std::string> roomEventText(const MediaPacket& packet);

// The same as shared bytes: a slice of the payload when it has the layout
// makeRoomEventPacket() writes (no copy), else a copy of the decoded text.
std::optional<SharedBuffer> roomEventJson(const MediaPacket& packet);

}  // namespace core
