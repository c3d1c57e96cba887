#include "protocols/rtmp/timestamp_extender.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/media/stream.hpp"
#include "core/media/stream_registry.hpp"

using rtmp::TimestampExtender;

namespace {
constexpr int64_t k2to32 = int64_t{1} << 32;
}  // namespace

BOOST_AUTO_TEST_CASE(a_new_extender_starts_at_the_raw_value) {
  TimestampExtender e;
  BOOST_TEST(e.extend(0xF0000000u) == int64_t{0xF0000000u});
  BOOST_TEST(e.extend(0xF0000021u) == int64_t{0xF0000021u});
  TimestampExtender fresh;
  BOOST_TEST(fresh.extend(1000) == 1000);
}

BOOST_AUTO_TEST_CASE(wraps_forward_at_2_32) {
  TimestampExtender e;
  const uint32_t nearEnd = 0xFFFFFFFFu - 20;
  BOOST_TEST(e.extend(nearEnd) == int64_t{nearEnd});
  BOOST_TEST(e.extend(12) == k2to32 + 12);  // 33 ms later
  BOOST_TEST(e.extend(45) == k2to32 + 45);
  // A second wrap adds another 2^32.
  BOOST_TEST(e.extend(0x80000000u) == k2to32 + 0x80000000u);
  BOOST_TEST(e.extend(0xFFFFFFF0u) == k2to32 + 0xFFFFFFF0u);
  BOOST_TEST(e.extend(5) == 2 * k2to32 + 5);
}

BOOST_AUTO_TEST_CASE(a_backwards_wrap_is_undone) {
  // Audio from just before the wrap arriving after video crossed it.
  TimestampExtender e;
  e.extend(0xFFFFFFF0u);
  BOOST_TEST(e.extend(10) == k2to32 + 10);
  BOOST_TEST(e.extend(0xFFFFFFF8u) == int64_t{0xFFFFFFF8u});
  BOOST_TEST(e.extend(20) == k2to32 + 20);
}

BOOST_AUTO_TEST_CASE(a_small_rewind_is_not_a_wrap) {
  TimestampExtender e;
  e.extend(100000);
  BOOST_TEST(e.extend(99000) == 99000);  // left to the hub's corrector
  BOOST_TEST(e.extend(0) == 0);
}

BOOST_AUTO_TEST_CASE(reset_forgets_the_previous_publisher) {
  TimestampExtender e;
  e.extend(0xFFFFFFF0u);
  e.extend(10);  // wrapped once
  e.reset();
  BOOST_TEST(e.extend(10) == 10);
}

namespace {
struct RecordingSink : core::MediaSink {
  std::vector<core::MediaPacket> packets;
  void onStreamStart(const core::Stream&) override {}
  void onPacket(const core::MediaPacket& p) override { packets.push_back(p); }
  void onPublisherGone(std::string_view) override {}
  void onStreamEnd(std::string_view) override {}
};

core::MediaPacket media(core::MediaKind kind, int64_t dts, bool key) {
  core::MediaPacket p;
  p.kind = kind;
  p.codec = kind == core::MediaKind::Video ? core::Codec::H264 : core::Codec::AAC;
  p.dts = dts;
  p.pts = dts + (kind == core::MediaKind::Video ? 66 : 0);
  p.keyframe = key;
  p.payload = core::SharedBuffer::adopt(std::vector<uint8_t>{1, 2, 3});
  return p;
}
}  // namespace

// What RtmpSession does: each 32-bit message timestamp goes through the session's
// extender before the packet is pushed into the hub. A publisher crossing 2^32 ms
// (video every 33 ms, audio every 23 ms and a little late) plays on without a
// jump or a stall of the clock.
BOOST_AUTO_TEST_CASE(a_publisher_wrapping_past_2_32_plays_continuously) {
  core::EventLoop loop;
  core::StreamOptions options;
  core::StreamRegistry registry(loop, options);
  std::string error;
  auto lease = registry.publish("live", "wrap", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  RecordingSink sink;
  auto sub = registry.subscribe("live", "wrap", sink, "test");
  BOOST_REQUIRE(sub);

  TimestampExtender extender;
  const int64_t start = k2to32 - 3000;  // three seconds before the wrap
  int64_t video = start, audio = start - 40;
  for (int i = 0; i < 200; ++i) {
    const auto raw = static_cast<uint32_t>(video & 0xFFFFFFFF);
    lease->push(media(core::MediaKind::Video, extender.extend(raw), i % 60 == 0));
    video += 33;
    while (audio + 40 < video) {
      lease->push(media(core::MediaKind::Audio,
                        extender.extend(static_cast<uint32_t>(audio & 0xFFFFFFFF)), false));
      audio += 23;
    }
  }
  int64_t lastVideo = -1, lastAudio = -1;
  int videos = 0;
  for (const core::MediaPacket& p : sink.packets) {
    int64_t& last = p.isVideo() ? lastVideo : lastAudio;
    if (last >= 0) BOOST_TEST(p.dts - last == (p.isVideo() ? 33 : 23));
    last = p.dts;
    if (p.isVideo()) {
      BOOST_TEST(p.pts - p.dts == 66);
      ++videos;
    }
  }
  BOOST_TEST(videos == 200);
  BOOST_TEST(lastVideo > k2to32);  // the clock went past 2^32
  BOOST_TEST(registry.find("live/wrap")->lastDts() == start + 199 * 33);
}
