#include "core/media/room_event_packet.hpp"

#include <boost/test/unit_test.hpp>

#include "core/format/amf0.hpp"

using namespace core;

BOOST_AUTO_TEST_CASE(an_event_becomes_on_text_data_and_back) {
  const std::string json = R"({"event":"message","body":{"text":"こんにちは"}})";
  auto packet = makeRoomEventPacket(json, 1234);
  BOOST_REQUIRE(packet);
  BOOST_TEST((packet->kind == MediaKind::Data));
  BOOST_TEST((packet->codec == Codec::RoomEvent));
  BOOST_TEST(packet->dts == 1234);
  BOOST_TEST(packet->pts == 1234);
  // The AMF0 FFmpeg's FLV reader turns into a text stream: "onTextData", then an
  // ECMA array with type "Text" and the text as a short string.
  auto decoded = Amf0Decoder::decodeAll(packet->payload.span());
  BOOST_REQUIRE(decoded.ok());
  BOOST_REQUIRE(decoded.values.size() == 2u);
  BOOST_TEST(decoded.values[0].asString() == "onTextData");
  BOOST_TEST((decoded.values[1].type() == Amf0Type::EcmaArray));
  BOOST_TEST(decoded.values[1].find("type")->asString() == "Text");
  BOOST_TEST(packet->payload[13] == 0x08);  // ECMA array marker after the name
  BOOST_TEST(roomEventText(*packet).value_or("") == json);
  // Byte for byte what the general AMF0 encoder writes for the same values.
  const auto general = encodeAmf0All(
      {Amf0Value("onTextData"),
       Amf0Value::ecmaArray({{"type", Amf0Value("Text")}, {"text", Amf0Value(json)}})});
  const auto span = packet->payload.span();
  BOOST_TEST(std::vector<uint8_t>(span.begin(), span.end()) == general,
             boost::test_tools::per_element());
  // The longest text: its length fills both bytes.
  auto longest = makeRoomEventPacket(std::string(kMaxRoomEventTextBytes, 'x'), 0);
  BOOST_REQUIRE(longest);
  BOOST_TEST(roomEventText(*longest).value_or("").size() == kMaxRoomEventTextBytes);
  // As shared bytes: the text inside the payload itself, not a copy.
  auto shared = roomEventJson(*packet);
  BOOST_REQUIRE(shared);
  BOOST_TEST(shared->view() == json);
  BOOST_TEST(shared->data() == packet->payload.data() + (packet->payload.size() - json.size() - 3));
}

BOOST_AUTO_TEST_CASE(the_text_is_read_from_other_layouts_of_the_same_values) {
  // Keys in another order, as another muxer may write them: the general decoder.
  MediaPacket packet;
  packet.kind = MediaKind::Data;
  packet.codec = Codec::RoomEvent;
  packet.payload = SharedBuffer::adopt(encodeAmf0All(
      {Amf0Value("onTextData"),
       Amf0Value::ecmaArray({{"text", Amf0Value("{}")}, {"type", Amf0Value("Text")}})}));
  BOOST_TEST(roomEventText(packet).value_or("?") == "{}");
  auto copied = roomEventJson(packet);
  BOOST_REQUIRE(copied);
  BOOST_TEST(copied->view() == "{}");
  // Our layout with a length that does not match the payload: not read past it.
  auto ours = makeRoomEventPacket(R"({"a":1})", 0);
  BOOST_REQUIRE(ours);
  auto bytes = std::vector<uint8_t>(ours->payload.span().begin(), ours->payload.span().end());
  bytes[39] = 0x40;  // low byte of the text's length
  packet.payload = SharedBuffer::adopt(std::move(bytes));
  BOOST_TEST(!roomEventText(packet));
}

BOOST_AUTO_TEST_CASE(an_event_too_large_for_a_short_string_is_refused) {
  BOOST_TEST(makeRoomEventPacket(std::string(kMaxRoomEventTextBytes, 'x'), 0).has_value());
  BOOST_TEST(!makeRoomEventPacket(std::string(kMaxRoomEventTextBytes + 1, 'x'), 0));
  auto around = [](size_t textBytes) {
    return makeRoomEventPacketAround(std::vector<uint8_t>(kRoomEventTextOffset + textBytes, 'x'),
                                     0);
  };
  BOOST_TEST(around(kMaxRoomEventTextBytes).has_value());
  BOOST_TEST(!around(kMaxRoomEventTextBytes + 1));
  BOOST_TEST(!makeRoomEventPacketAround(std::vector<uint8_t>(kRoomEventTextOffset - 1), 0));
}

BOOST_AUTO_TEST_CASE(a_text_written_in_place_gets_the_same_payload) {
  const std::string json = R"({"event":"like","count":3})";
  std::vector<uint8_t> bytes(kRoomEventTextOffset, 0xEE);  // whatever was there
  bytes.insert(bytes.end(), json.begin(), json.end());
  auto inPlace = makeRoomEventPacketAround(std::move(bytes), 77);
  auto copied = makeRoomEventPacket(json, 77);
  BOOST_REQUIRE(inPlace);
  BOOST_REQUIRE(copied);
  BOOST_TEST(inPlace->payload.equals(copied->payload));
  BOOST_TEST(inPlace->dts == 77);
  BOOST_TEST((inPlace->codec == Codec::RoomEvent));
  BOOST_TEST(roomEventText(*inPlace).value_or("") == json);
}

BOOST_AUTO_TEST_CASE(other_packets_have_no_event_text) {
  MediaPacket meta;
  meta.kind = MediaKind::Data;
  meta.codec = Codec::Amf0;
  meta.payload =
      SharedBuffer::adopt(encodeAmf0All({Amf0Value("onMetaData"), Amf0Value::ecmaArray()}));
  BOOST_TEST(!roomEventText(meta));
  MediaPacket broken = meta;
  broken.codec = Codec::RoomEvent;
  BOOST_TEST(!roomEventText(broken));  // not onTextData
  broken.payload = SharedBuffer::copyOf(std::string_view("\x02\x00\x0aonText", 9));
  BOOST_TEST(!roomEventText(broken));  // truncated
}
