#include "core/media/gop_cache.hpp"

#include <boost/test/unit_test.hpp>

using core::GopCache;
using core::MediaKind;
using core::MediaPacket;

namespace {
MediaPacket video(int64_t dts, bool key, size_t bytes = 100) {
  MediaPacket p;
  p.kind = MediaKind::Video;
  p.codec = core::Codec::H264;
  p.dts = p.pts = dts;
  p.keyframe = key;
  p.payload = core::SharedBuffer::adopt(std::vector<uint8_t>(bytes, 1));
  return p;
}
MediaPacket audio(int64_t dts) {
  MediaPacket p;
  p.kind = MediaKind::Audio;
  p.codec = core::Codec::AAC;
  p.dts = p.pts = dts;
  p.payload = core::SharedBuffer::adopt(std::vector<uint8_t>(10, 2));
  return p;
}
}  // namespace

BOOST_AUTO_TEST_CASE(starts_at_a_keyframe_and_restarts_at_the_next) {
  GopCache gop({10000, 1 << 20});
  gop.add(audio(0));
  gop.add(video(0, false));
  BOOST_TEST(gop.empty());  // nothing decodable yet

  gop.add(video(33, true));
  gop.add(audio(40));
  gop.add(video(66, false));
  BOOST_TEST(gop.packets().size() == 3u);
  BOOST_TEST(gop.packets().front().keyframe);

  gop.add(video(2000, true));
  BOOST_TEST(gop.packets().size() == 1u);
  BOOST_TEST(gop.packets().front().dts == 2000);
}

BOOST_AUTO_TEST_CASE(config_packets_are_not_cached) {
  GopCache gop({10000, 1 << 20});
  gop.add(video(0, true));
  MediaPacket config = video(0, true);
  config.config = true;
  gop.add(config);
  BOOST_TEST(gop.packets().size() == 1u);
  BOOST_TEST(!gop.packets().front().config);
}

BOOST_AUTO_TEST_CASE(a_gop_over_the_limits_is_dropped_until_the_next_keyframe) {
  GopCache byTime({1000, 1 << 20});
  byTime.add(video(0, true));
  byTime.add(video(900, false));
  BOOST_TEST(byTime.packets().size() == 2u);
  byTime.add(video(1100, false));
  BOOST_TEST(byTime.empty());
  byTime.add(video(1200, false));
  BOOST_TEST(byTime.empty());
  byTime.add(video(1300, true));
  BOOST_TEST(byTime.packets().size() == 1u);

  GopCache byBytes({100000, 250});
  byBytes.add(video(0, true, 100));
  byBytes.add(video(33, false, 100));
  BOOST_TEST(byBytes.bytes() == 200u);
  byBytes.add(video(66, false, 100));
  BOOST_TEST(byBytes.empty());
  BOOST_TEST(byBytes.bytes() == 0u);
}

BOOST_AUTO_TEST_CASE(cached_packets_share_payload_and_wire_cache) {
  GopCache gop({10000, 1 << 20});
  MediaPacket key = video(0, true);
  gop.add(key);
  BOOST_TEST(gop.packets().front().payload.data() == key.payload.data());
  BOOST_TEST(gop.packets().front().wire.get() == key.wire.get());
}
