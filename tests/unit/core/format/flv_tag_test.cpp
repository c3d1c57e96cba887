#include "core/format/flv_tag.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using core::Codec;
using core::MediaKind;
using core::MediaPacket;
using core::ParsedTag;
using core::SharedBuffer;

namespace {

using Bytes = std::vector<uint8_t>;

MediaPacket makePacket(MediaKind kind, Codec codec, int64_t dts, int64_t pts, bool key, bool config,
                       Bytes payload) {
  MediaPacket p;
  p.kind = kind;
  p.codec = codec;
  p.dts = dts;
  p.pts = pts;
  p.keyframe = key;
  p.config = config;
  p.payload = SharedBuffer::adopt(std::move(payload));
  return p;
}

ParsedTag parse(const MediaPacket& p) {
  const SharedBuffer body = SharedBuffer::adopt(core::flvBodyOf(p));
  return p.isVideo() ? core::parseFlvVideo(static_cast<uint32_t>(p.dts), body)
                     : core::parseFlvAudio(static_cast<uint32_t>(p.dts), body);
}

void checkSame(const MediaPacket& a, const MediaPacket& b) {
  BOOST_CHECK(a.kind == b.kind);
  BOOST_CHECK(a.codec == b.codec);
  BOOST_CHECK_EQUAL(a.dts, b.dts);
  BOOST_CHECK_EQUAL(a.pts, b.pts);
  BOOST_CHECK_EQUAL(a.keyframe, b.keyframe);
  BOOST_CHECK_EQUAL(a.config, b.config);
  BOOST_CHECK(a.payload.view() == b.payload.view());
}

const Bytes kNalus = {0, 0, 0, 3, 0x65, 0x88, 0x84, 0, 0, 0, 2, 0x06, 0x05};
const Bytes kAvcConfig = {1,    0x64, 0,    0x1f, 0xff, 0xe1, 0,    4,   0x67,
                          0x64, 0,    0x1f, 1,    0,    2,    0x68, 0xeb};

}  // namespace

BOOST_AUTO_TEST_CASE(file_header_bytes) {
  BOOST_CHECK(core::flvFileHeader(true, true) ==
              (Bytes{'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0}));
  BOOST_CHECK_EQUAL(core::flvFileHeader(true, false)[4], 0x04);
  BOOST_CHECK_EQUAL(core::flvFileHeader(false, true)[4], 0x01);
  BOOST_CHECK_EQUAL(core::flvFileHeader(false, false)[4], 0x00);
}

BOOST_AUTO_TEST_CASE(tag_header_every_byte) {
  const Bytes body = {0xAA, 0xBB, 0xCC};
  const SharedBuffer tag = core::buildFlvTag(core::kFlvTagVideo, 0x00123456, body);
  BOOST_CHECK(tag.span().size() == 11u + 3u + 4u);
  const Bytes expected = {9,    0,    0,    3,     // type, DataSize
                          0x12, 0x34, 0x56, 0x00,  // Timestamp, TimestampExtended
                          0,    0,    0,           // StreamID
                          0xAA, 0xBB, 0xCC,        // body
                          0,    0,    0,    14};   // PreviousTagSize
  BOOST_CHECK(Bytes(tag.span().begin(), tag.span().end()) == expected);

  auto header = core::parseFlvTagHeader(tag.span());
  BOOST_REQUIRE(header);
  BOOST_CHECK_EQUAL(header->tagType, 9);
  BOOST_CHECK_EQUAL(header->dataSize, 3u);
  BOOST_CHECK_EQUAL(header->timestampMs, 0x00123456u);
  BOOST_CHECK(!core::parseFlvTagHeader(std::span<const uint8_t>(tag.data(), 10)));
}

BOOST_AUTO_TEST_CASE(timestamp_above_24_bits_uses_extended_byte) {
  const uint32_t ts = 0x9A123456;  // > 2^24 ms (about 4.6 hours)
  const SharedBuffer tag = core::buildFlvTag(core::kFlvTagAudio, ts, Bytes{});
  BOOST_REQUIRE_EQUAL(tag.size(), 15u);
  BOOST_CHECK_EQUAL(tag[0], 8);
  BOOST_CHECK_EQUAL(tag[4], 0x12);
  BOOST_CHECK_EQUAL(tag[5], 0x34);
  BOOST_CHECK_EQUAL(tag[6], 0x56);
  BOOST_CHECK_EQUAL(tag[7], 0x9A);
  BOOST_CHECK_EQUAL(tag[14], 11);
  BOOST_CHECK_EQUAL(core::parseFlvTagHeader(tag.span())->timestampMs, ts);
}

BOOST_AUTO_TEST_CASE(oversized_body_is_refused) {
  const Bytes huge(core::kFlvMaxBodySize + 1, 0);
  BOOST_CHECK(core::buildFlvTag(core::kFlvTagVideo, 0, huge).empty());
  BOOST_CHECK_EQUAL(
      core::buildFlvTag(core::kFlvTagVideo, 0, Bytes(core::kFlvMaxBodySize, 0)).size(),
      core::kFlvMaxBodySize + 15u);
}

BOOST_AUTO_TEST_CASE(h264_body_bytes) {
  auto key = makePacket(MediaKind::Video, Codec::H264, 1000, 1040, true, false, kNalus);
  Bytes body = core::flvBodyOf(key);
  BOOST_REQUIRE_EQUAL(body.size(), 5u + kNalus.size());
  BOOST_CHECK_EQUAL(body[0], 0x17);
  BOOST_CHECK_EQUAL(body[1], 1);
  BOOST_CHECK_EQUAL(body[2] << 16 | body[3] << 8 | body[4], 40);

  auto inter = makePacket(MediaKind::Video, Codec::H264, 1000, 967, false, false, kNalus);
  body = core::flvBodyOf(inter);
  BOOST_CHECK_EQUAL(body[0], 0x27);
  BOOST_CHECK(body[2] == 0xFF && body[3] == 0xFF && body[4] == 0xDF);  // -33

  auto config = makePacket(MediaKind::Video, Codec::H264, 0, 0, true, true, kAvcConfig);
  body = core::flvBodyOf(config);
  BOOST_CHECK(Bytes(body.begin(), body.begin() + 5) == (Bytes{0x17, 0, 0, 0, 0}));
}

BOOST_AUTO_TEST_CASE(h264_round_trip) {
  const std::vector<MediaPacket> packets = {
      makePacket(MediaKind::Video, Codec::H264, 0, 0, true, true, kAvcConfig),
      makePacket(MediaKind::Video, Codec::H264, 40, 120, true, false, kNalus),
      makePacket(MediaKind::Video, Codec::H264, 80, 80, false, false, kNalus),
      makePacket(MediaKind::Video, Codec::H264, 120, 100, false, false, kNalus),  // negative
      makePacket(MediaKind::Video, Codec::H264, 5000, 5000 - 8388608, false, false, kNalus),
      makePacket(MediaKind::Video, Codec::H264, 7, 7 + 8388607, false, false, kNalus),
      makePacket(MediaKind::Video, Codec::H264, 0xFFFFFF00, 0xFFFFFF10, false, false, kNalus),
  };
  for (const auto& p : packets) {
    ParsedTag t = parse(p);
    BOOST_REQUIRE_MESSAGE(t.isPacket(), t.reason);
    checkSame(t.packet, p);
  }
}

BOOST_AUTO_TEST_CASE(aac_and_mp3_round_trip) {
  auto config = makePacket(MediaKind::Audio, Codec::AAC, 0, 0, false, true, {0x12, 0x10});
  const Bytes configBody = core::flvBodyOf(config);
  BOOST_CHECK(configBody == (Bytes{0xAF, 0x00, 0x12, 0x10}));
  auto raw = makePacket(MediaKind::Audio, Codec::AAC, 23, 23, false, false, {0x21, 0x1b, 0x94});
  BOOST_CHECK(core::flvBodyOf(raw) == (Bytes{0xAF, 0x01, 0x21, 0x1b, 0x94}));
  auto mp3 = makePacket(MediaKind::Audio, Codec::Mp3, 26, 26, false, false, {0xFF, 0xFB, 0x90});
  BOOST_CHECK_EQUAL(core::flvBodyOf(mp3)[0] >> 4, 2);
  for (const auto& p : {config, raw, mp3}) {
    ParsedTag t = parse(p);
    BOOST_REQUIRE_MESSAGE(t.isPacket(), t.reason);
    checkSame(t.packet, p);
  }
}

BOOST_AUTO_TEST_CASE(payload_is_a_slice_of_the_body) {
  auto p = makePacket(MediaKind::Video, Codec::H264, 40, 80, true, false, kNalus);
  const SharedBuffer body = SharedBuffer::adopt(core::flvBodyOf(p));
  ParsedTag t = core::parseFlvVideo(40, body);
  BOOST_REQUIRE(t.isPacket());
  BOOST_CHECK(t.packet.payload.data() == body.data() + 5);
  BOOST_CHECK_EQUAL(t.packet.payload.size(), body.size() - 5);

  const SharedBuffer audio = SharedBuffer::adopt(Bytes{0xAF, 0x01, 1, 2, 3});
  ParsedTag a = core::parseFlvAudio(0, audio);
  BOOST_REQUIRE(a.isPacket());
  BOOST_CHECK(a.packet.payload.data() == audio.data() + 2);
}

BOOST_AUTO_TEST_CASE(truncated_bodies_are_errors) {
  auto p = makePacket(MediaKind::Video, Codec::H264, 40, 80, true, false, kNalus);
  const Bytes body = core::flvBodyOf(p);
  for (size_t cut = 0; cut < 5; ++cut) {
    ParsedTag t = core::parseFlvVideo(0, SharedBuffer::copyOf(std::span(body.data(), cut)));
    BOOST_CHECK_MESSAGE(t.isError(), "cut " << cut);
    BOOST_CHECK(!t.reason.empty());
  }
  BOOST_CHECK(core::parseFlvAudio(0, SharedBuffer()).isError());
  BOOST_CHECK(core::parseFlvAudio(0, SharedBuffer::copyOf(Bytes{0xAF})).isError());
  BOOST_CHECK(core::parseFlvAudio(0, SharedBuffer::copyOf(Bytes{0xAF, 0x00})).isError());
  BOOST_CHECK(core::parseFlvAudio(0, SharedBuffer::copyOf(Bytes{0xAF, 0x07, 1})).isError());
  BOOST_CHECK(core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x17, 0x09, 0, 0, 0})).isError());
  BOOST_CHECK(core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x17, 0x00, 0, 0, 0})).isError());
}

BOOST_AUTO_TEST_CASE(ignored_tags) {
  ParsedTag eos = core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x17, 0x02, 0, 0, 0}));
  BOOST_CHECK(eos.isIgnored());
  BOOST_CHECK_EQUAL(eos.reason, "AVC end of sequence");

  ParsedTag vp6 = core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x14, 1, 2, 3}));
  BOOST_CHECK(vp6.isIgnored());
  BOOST_CHECK_EQUAL(vp6.reason, "unsupported video codec id 4");
  BOOST_CHECK(vp6.packet.codec == Codec::Unknown);
  BOOST_CHECK(vp6.packet.keyframe);

  ParsedTag command = core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x57, 0}));
  BOOST_CHECK(command.isIgnored());

  ParsedTag speex = core::parseFlvAudio(0, SharedBuffer::copyOf(Bytes{0xB6, 1, 2}));
  BOOST_CHECK(speex.isIgnored());
  BOOST_CHECK_MESSAGE(speex.reason.find("unsupported audio format 11") != std::string::npos,
                      speex.reason);
}

BOOST_AUTO_TEST_CASE(enhanced_rtmp_hevc) {
  const Bytes hvcc = {1, 1, 0x60, 0, 0, 0, 0x90, 0, 0, 0, 0, 0, 0x5d};
  auto config = makePacket(MediaKind::Video, Codec::H265, 0, 0, true, true, hvcc);
  Bytes body = core::flvBodyOf(config);
  BOOST_CHECK(Bytes(body.begin(), body.begin() + 5) == (Bytes{0x90, 'h', 'v', 'c', '1'}));

  auto key = makePacket(MediaKind::Video, Codec::H265, 100, 60, true, false, kNalus);
  body = core::flvBodyOf(key);
  BOOST_CHECK_EQUAL(body[0], 0x91);
  BOOST_CHECK(body[5] == 0xFF && body[6] == 0xFF && body[7] == 0xD8);  // -40

  auto inter = makePacket(MediaKind::Video, Codec::H265, 140, 200, false, false, kNalus);
  for (const auto& p : {config, key, inter}) {
    ParsedTag t = parse(p);
    BOOST_REQUIRE_MESSAGE(t.isPacket(), t.reason);
    checkSame(t.packet, p);
  }

  // CodedFramesX: no composition time.
  Bytes x = {0xA3, 'h', 'v', 'c', '1', 0, 0, 0, 1, 0x02};
  ParsedTag tx = core::parseFlvVideo(33, SharedBuffer::copyOf(x));
  BOOST_REQUIRE(tx.isPacket());
  BOOST_CHECK(tx.packet.codec == Codec::H265);
  BOOST_CHECK(!tx.packet.keyframe);
  BOOST_CHECK_EQUAL(tx.packet.pts, 33);
  BOOST_CHECK_EQUAL(tx.packet.payload.size(), 5u);

  BOOST_CHECK(core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x91, 'h', 'v', 'c'})).isError());
  BOOST_CHECK(
      core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x91, 'h', 'v', 'c', '1', 0})).isError());
  ParsedTag av1 = core::parseFlvVideo(0, SharedBuffer::copyOf(Bytes{0x90, 'a', 'v', '0', '1', 1}));
  BOOST_CHECK(av1.isIgnored());
  BOOST_CHECK_EQUAL(av1.reason, "unsupported video FourCC 'av01'");
}

BOOST_AUTO_TEST_CASE(flv_tag_of_packet_matches_two_step_build) {
  const std::vector<MediaPacket> packets = {
      makePacket(MediaKind::Video, Codec::H264, 0x01234567, 0x01234590, true, false, kNalus),
      makePacket(MediaKind::Audio, Codec::AAC, 23, 23, false, false, {1, 2, 3}),
      makePacket(MediaKind::Data, Codec::Amf0, 0, 0, false, false, {0x02, 0, 1, 'x'}),
  };
  for (const auto& p : packets) {
    const SharedBuffer direct = core::flvTagOf(p);
    const SharedBuffer twoStep =
        core::buildFlvTag(core::flvTagTypeOf(p), static_cast<uint32_t>(p.dts), core::flvBodyOf(p));
    BOOST_CHECK(!direct.empty());
    BOOST_CHECK(direct.view() == twoStep.view());
  }
  BOOST_CHECK_EQUAL(core::flvTagOf(packets[2])[0], 18);
  BOOST_CHECK(
      core::flvTagOf(makePacket(MediaKind::Audio, Codec::Opus, 0, 0, false, false, {1})).empty());
}

BOOST_AUTO_TEST_CASE(on_meta_data_goes_at_timestamp_zero_other_script_data_at_its_dts) {
  // FFmpeg's FLV reader skips onMetaData only at 0; later it is a text packet.
  const auto tagTime = [](const SharedBuffer& tag) {
    return (uint32_t{tag[4]} << 16) | (uint32_t{tag[5]} << 8) | tag[6] | (uint32_t{tag[7]} << 24);
  };
  const MediaPacket meta =
      makePacket(MediaKind::Data, Codec::Amf0, 0x01234567, 0x01234567, false, true, {0x02, 0, 0});
  BOOST_CHECK_EQUAL(core::flvTimestampOf(meta), 0u);
  BOOST_CHECK_EQUAL(tagTime(core::flvTagOf(meta)), 0u);
  MediaPacket event = meta;
  event.codec = Codec::RoomEvent;
  event.config = false;
  BOOST_CHECK_EQUAL(core::flvTimestampOf(event), 0x01234567u);
  BOOST_CHECK_EQUAL(tagTime(core::flvTagOf(event)), 0x01234567u);
  const MediaPacket videoConfig =
      makePacket(MediaKind::Video, Codec::H264, 5000, 5000, true, true, kAvcConfig);
  BOOST_CHECK_EQUAL(tagTime(core::flvTagOf(videoConfig)), 5000u);
}

BOOST_AUTO_TEST_CASE(random_bodies_never_crash) {
  uint32_t seed = 7;
  for (int i = 0; i < 5000; ++i) {
    seed = seed * 1103515245 + 12345;
    Bytes body(seed % 12);
    for (auto& b : body) {
      seed = seed * 1103515245 + 12345;
      b = uint8_t(seed >> 16);
    }
    const SharedBuffer buffer = SharedBuffer::copyOf(body);
    for (const ParsedTag& t : {core::parseFlvVideo(1, buffer), core::parseFlvAudio(1, buffer)}) {
      if (t.isPacket()) {
        BOOST_REQUIRE(t.packet.payload.size() <= body.size());
      } else {
        BOOST_REQUIRE(!t.reason.empty());
      }
    }
  }
}
