#include "core/media/room_event_packet.hpp"

#include "core/format/amf0.hpp"

namespace core {

std::optional<MediaPacket> makeRoomEventPacket(std::string_view json, int64_t dts) {
  if (json.size() > kMaxRoomEventTextBytes) return std::nullopt;
  MediaPacket packet;
  packet.kind = MediaKind::Data;
  packet.codec = Codec::RoomEvent;
  packet.dts = packet.pts = dts;
  packet.payload = SharedBuffer::adopt(encodeAmf0All(
      {Amf0Value("onTextData"), Amf0Value::ecmaArray({{"type", Amf0Value("Text")},
                                                      {"text", Amf0Value(std::string(json))}})}));
  return packet;
}

std::optional<std::string> roomEventText(const MediaPacket& packet) {
  if (packet.kind != MediaKind::Data || packet.codec != Codec::RoomEvent) return std::nullopt;
  Amf0DecodeResult decoded = Amf0Decoder::decodeAll(packet.payload.span());
  if (!decoded.ok() || decoded.values.size() != 2) return std::nullopt;
  if (decoded.values[0].asString() != "onTextData") return std::nullopt;
  const Amf0Value* text = decoded.values[1].find("text");
  if (!text || !text->isString()) return std::nullopt;
  return std::string(text->asString());
}

}  // namespace core
