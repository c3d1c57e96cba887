#include "core/media/room_event_packet.hpp"

#include <algorithm>
#include <array>

#include "core/format/amf0.hpp"

namespace core {

namespace {

// NOTE: what encodeAmf0All writes for ["onTextData", ECMA array {type: "Text",
// text: <string>}] up to the text's length, and after the text. Written and read
// by hand: the general AMF0 coder builds a value tree per event, and every event
// is encoded once and read back by each HLS output and recording.
constexpr std::array<uint8_t, 37> kHead = {
    0x02, 0x00, 0x0A, 'o',  'n',  'T', 'e',  'x',  't',  'D', 'a', 't', 'a',  // "onTextData"
    0x08, 0x00, 0x00, 0x00, 0x02,                                             // ECMA array, 2
    0x00, 0x04, 't',  'y',  'p',  'e', 0x02, 0x00, 0x04, 'T', 'e', 'x', 't',  // type: "Text"
    0x00, 0x04, 't',  'e',  'x',  't'};                                       // text:
constexpr std::array<uint8_t, 3> kTail = {0x00, 0x00, 0x09};                  // object end

}  // namespace

static_assert(kRoomEventTextOffset == kHead.size() + 3);

std::optional<MediaPacket> makeRoomEventPacketAround(std::vector<uint8_t>&& bytes, int64_t dts) {
  if (bytes.size() < kRoomEventTextOffset) return std::nullopt;
  const size_t length = bytes.size() - kRoomEventTextOffset;
  if (length > kMaxRoomEventTextBytes) return std::nullopt;
  std::copy(kHead.begin(), kHead.end(), bytes.begin());
  bytes[kHead.size()] = 0x02;  // String
  bytes[kHead.size() + 1] = static_cast<uint8_t>(length >> 8);
  bytes[kHead.size() + 2] = static_cast<uint8_t>(length);
  bytes.insert(bytes.end(), kTail.begin(), kTail.end());
  MediaPacket packet;
  packet.kind = MediaKind::Data;
  packet.codec = Codec::RoomEvent;
  packet.dts = packet.pts = dts;
  packet.payload = SharedBuffer::adopt(std::move(bytes));
  return packet;
}

std::optional<MediaPacket> makeRoomEventPacket(std::string_view json, int64_t dts) {
  if (json.size() > kMaxRoomEventTextBytes) return std::nullopt;
  std::vector<uint8_t> bytes;
  bytes.reserve(kRoomEventTextOffset + json.size() + kTail.size());
  bytes.resize(kRoomEventTextOffset);
  const auto* text = reinterpret_cast<const uint8_t*>(json.data());  // NOTE: one memmove
  bytes.insert(bytes.end(), text, text + json.size());
  return makeRoomEventPacketAround(std::move(bytes), dts);
}

std::optional<SharedBuffer> roomEventJson(const MediaPacket& packet) {
  if (packet.kind != MediaKind::Data || packet.codec != Codec::RoomEvent) return std::nullopt;
  const auto in = packet.payload.span();
  const size_t fixed = kHead.size() + 3 + kTail.size();
  if (in.size() >= fixed && std::equal(kHead.begin(), kHead.end(), in.begin()) &&
      in[kHead.size()] == 0x02) {
    const size_t length = (size_t{in[kHead.size() + 1]} << 8) | in[kHead.size() + 2];
    if (in.size() == fixed + length &&
        std::equal(kTail.begin(), kTail.end(), in.end() - kTail.size()))
      return packet.payload.slice(kHead.size() + 3, length);
  }
  // Any other layout of the same AMF0 values.
  Amf0DecodeResult decoded = Amf0Decoder::decodeAll(in);
  if (!decoded.ok() || decoded.values.size() != 2) return std::nullopt;
  if (decoded.values[0].asString() != "onTextData") return std::nullopt;
  const Amf0Value* text = decoded.values[1].find("text");
  if (!text || !text->isString()) return std::nullopt;
  return SharedBuffer::copyOf(text->asString());
}

std::optional<std::string> roomEventText(const MediaPacket& packet) {
  auto json = roomEventJson(packet);
  if (!json) return std::nullopt;
  return std::string(json->view());
}

}  // namespace core
