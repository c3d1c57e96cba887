#include "core/media/stream_health.hpp"

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/media/stream.hpp"
#include "core/media/stream_registry.hpp"

using namespace core;

namespace {

constexpr int64_t kUnixBase = 1'800'000'000'000;  // Unix ms when the fake clock reads 0

// A StreamHealth on a clock the test moves by hand.
struct Fixture {
  uint64_t now = 0;
  StreamHealth health{StreamHealth::Limits{1000, 2000},
                      {[this] { return now; }, [this] { return kUnixBase + int64_t(now); }}};

  MediaPacket packet(MediaKind kind, int64_t dts, size_t bytes, bool key = false) {
    MediaPacket p;
    p.kind = kind;
    p.codec = kind == MediaKind::Video ? Codec::H264 : Codec::AAC;
    p.dts = p.pts = dts;
    p.keyframe = key;
    p.payload = SharedBuffer::adopt(std::vector<uint8_t>(bytes, 0));
    return p;
  }
  void video(int64_t dts, size_t bytes = 1000, bool key = false) {
    health.onPacket(packet(MediaKind::Video, dts, bytes, key));
  }
  void audio(int64_t dts, size_t bytes = 100) {
    health.onPacket(packet(MediaKind::Audio, dts, bytes));
  }
  // `fps` frames of `bytes` per second from wall time `from` to `to`, dts = wall time
  // + `offset`, a keyframe every `gopMs` of media time.
  void runVideo(uint64_t from, uint64_t to, int fps, size_t bytes, int64_t offset = 0,
                int64_t gopMs = 2000) {
    for (int i = 0;; ++i) {
      const uint64_t t = from + uint64_t(i) * 1000 / uint64_t(fps);
      if (t >= to) break;
      now = t;
      const int64_t dts = int64_t(t) + offset;
      video(dts, bytes, (dts - offset) % gopMs == 0);
    }
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(fps_and_bitrate_over_1s_and_10s) {
  Fixture f;
  // 12 s of 30 fps, 10000-byte frames, with 50 audio frames of 500 bytes a second.
  for (uint64_t t = 0; t < 12000; t += 20) {
    f.now = t;
    if (t % 100 == 0 || t % 100 == 40 || t % 100 == 60) {  // 3 video frames per 100 ms
      f.video(int64_t(t), 10000);
    }
    f.audio(int64_t(t), 500);
  }
  f.now = 12000;
  auto r = f.health.report(true);
  const uint64_t bps = (30 * 10000 + 50 * 500) * 8;
  BOOST_TEST(r.fps1s == 30.0);
  BOOST_TEST(r.fps10s == 30.0);
  BOOST_TEST(r.bitsPerSecond1s == bps);
  BOOST_TEST(r.bitsPerSecond10s == bps);

  // The last second at 15 fps: the 1 s window sees it whole, the 10 s window a tenth.
  f.runVideo(12000, 13000, 15, 10000, 0);
  f.now = 13000;
  r = f.health.report(true);
  BOOST_TEST(r.fps1s == 15.0);
  BOOST_TEST(r.fps10s == (9 * 30 + 15) / 10.0);
  BOOST_TEST(r.bitsPerSecond1s == uint64_t(15 * 10000 * 8));

  // Silence: both windows empty out.
  f.now = 24000;
  r = f.health.report(true);
  BOOST_TEST(r.fps1s == 0.0);
  BOOST_TEST(r.fps10s == 0.0);
  BOOST_TEST(r.bitsPerSecond10s == 0u);
}

BOOST_AUTO_TEST_CASE(a_young_stream_is_measured_over_its_own_seconds) {
  Fixture f;
  // Starts at 0.5 s: measured over complete seconds that began after it started.
  f.runVideo(500, 3000, 25, 1000);
  f.now = 3000;
  const auto r = f.health.report(true);
  BOOST_TEST(r.fps10s == 25.0);
  BOOST_TEST(r.fps1s == 25.0);
  BOOST_TEST(r.bitsPerSecond10s == 25u * 1000 * 8);
}

BOOST_AUTO_TEST_CASE(a_dts_jump_is_one_gap) {
  Fixture f;
  BOOST_TEST(f.health.report(true).gaps == 0u);
  BOOST_TEST(!f.health.report(true).lastGap);
  // Audio and video interleaved; at 2 s of wall time the source jumps 5 s ahead in
  // both tracks: audio first, then two video frames still before the jump.
  for (uint64_t t = 0; t < 2000; t += 20) {
    f.now = t;
    f.audio(int64_t(t));
    if (t % 40 == 0) f.video(int64_t(t));
  }
  f.now = 2000;
  f.audio(7000);
  f.video(1990);
  f.audio(7021);
  f.video(7010);
  for (uint64_t t = 2040; t < 4000; t += 20) {
    f.now = t;
    f.audio(int64_t(t) + 5000);
    if (t % 40 == 0) f.video(int64_t(t) + 5000);
  }
  auto r = f.health.report(true);
  BOOST_TEST(r.gaps == 1u);
  BOOST_REQUIRE(r.lastGap);
  BOOST_TEST(r.lastGap->ms == 7000 - 1980);  // the audio track's step
  BOOST_TEST(r.lastGap->atUnixMs == kUnixBase + 2000);

  // Steps up to gap_ms are no gap: a lost second of video, audio going on.
  f.now = 4000;
  f.video(8960 + 1000);
  BOOST_TEST(f.health.report(true).gaps == 1u);

  // A rewind of 3 s in the video alone is a second gap, with a negative size.
  f.now = 4100;
  f.video(9960 - 3000);
  r = f.health.report(true);
  BOOST_TEST(r.gaps == 2u);
  BOOST_TEST(r.lastGap->ms == -3000);
  BOOST_TEST(r.lastGap->atUnixMs == kUnixBase + 4100);
}

BOOST_AUTO_TEST_CASE(a_silence_is_one_stall_counted_when_media_resumes) {
  Fixture f;
  f.runVideo(0, 5000, 30, 1000);  // last frame at 4966
  f.now = 6000;                   // 1034 ms of silence: not (yet) a stall
  auto r = f.health.report(true);
  BOOST_TEST(r.stalls == 0u);
  BOOST_TEST(r.stalledForMs == 0);
  f.now = 7500;  // 2534 ms: stalled now, not counted yet
  r = f.health.report(true);
  BOOST_TEST(r.stalls == 0u);
  BOOST_TEST(r.stalledForMs == 2534);
  BOOST_TEST(f.health.report(false).stalledForMs == 0);  // no publisher: not a stall
  // Media resumes at 8 s with a burst, as ffmpeg -re sends to catch up: the media
  // time goes on where it stopped. One stall, no gap.
  for (int i = 1; i <= 90; ++i) {
    f.now = 8000 + uint64_t(i);
    f.video(4966 + i * 100 / 3, 1000);
  }
  r = f.health.report(true);
  BOOST_TEST(r.stalls == 1u);
  BOOST_REQUIRE(r.lastStall);
  BOOST_TEST(r.lastStall->ms == 8001 - 4966);
  BOOST_TEST(r.lastStall->atUnixMs == kUnixBase + 4966);
  BOOST_TEST(r.stalledForMs == 0);
  BOOST_TEST(r.gaps == 0u);

  // A silence shorter than stall_ms is no stall; a new publisher after one is none.
  f.runVideo(8100, 10000, 30, 1000);
  f.runVideo(11800, 12000, 30, 1000);
  BOOST_TEST(f.health.report(true).stalls == 1u);
  const auto gaps = f.health.report(true).gaps;
  f.health.restart();
  f.runVideo(20000, 21000, 30, 1000, -20000);  // its own timestamps, from 0
  r = f.health.report(true);
  BOOST_TEST(r.stalls == 1u);
  BOOST_TEST(r.gaps == gaps);
}

BOOST_AUTO_TEST_CASE(keyframe_interval_last_and_mean) {
  Fixture f;
  BOOST_TEST(!f.health.report(true).keyframeIntervalLastMs);
  BOOST_TEST(!f.health.report(true).keyframeIntervalMeanMs);
  const std::vector<int64_t> keys = {0, 2000, 4000, 5000};
  for (int64_t dts = 0; dts <= 5000; dts += 40) {
    f.now = uint64_t(dts);
    const bool key = std::find(keys.begin(), keys.end(), dts) != keys.end();
    f.video(dts, 1000, key);
  }
  auto r = f.health.report(true);
  BOOST_REQUIRE(r.keyframeIntervalLastMs);
  BOOST_TEST(*r.keyframeIntervalLastMs == 1000);
  BOOST_TEST(*r.keyframeIntervalMeanMs == 5000.0 / 3);

  // Across a gap the interval is not the GOP: it starts again after it.
  for (int64_t dts = 20000; dts <= 22000; dts += 40) f.video(dts, 1000, dts % 2000 == 0);
  r = f.health.report(true);
  BOOST_TEST(*r.keyframeIntervalLastMs == 2000);
  BOOST_TEST(*r.keyframeIntervalMeanMs == 7000.0 / 4);
}

BOOST_AUTO_TEST_CASE(audio_only_stream) {
  Fixture f;
  for (uint64_t t = 0; t < 3000; t += 20) {
    f.now = t;
    f.audio(int64_t(t), 400);
  }
  f.now = 3000;
  f.audio(9000, 400);  // a jump
  f.now = 6000;
  f.audio(9020, 400);  // after a silence
  f.now = 6000;
  const auto r = f.health.report(true);
  BOOST_TEST(r.fps1s == 0.0);
  BOOST_TEST(r.fps10s == 0.0);
  BOOST_TEST(r.bitsPerSecond10s > 0u);
  BOOST_TEST(r.gaps == 1u);
  BOOST_TEST(r.stalls == 1u);
  BOOST_TEST(!r.keyframeIntervalLastMs);
  BOOST_TEST(!r.keyframeIntervalMeanMs);
}

BOOST_AUTO_TEST_CASE(config_packets_and_data_are_not_media_steps) {
  Fixture f;
  f.runVideo(0, 1000, 30, 1000);
  MediaPacket config = f.packet(MediaKind::Video, 0, 40);
  config.config = true;
  f.health.onPacket(config);  // a sequence header at 0 mid-stream
  MediaPacket meta;
  meta.kind = MediaKind::Data;
  meta.dts = 0;
  f.health.onPacket(meta);
  f.runVideo(1000, 2000, 30, 1000);
  BOOST_TEST(f.health.report(true).gaps == 0u);
}

// The Stream feeds its health the publisher's own timestamps: a jump its clock
// smooths away (timestamp_jump_ms) is still a gap in the API.
BOOST_AUTO_TEST_CASE(the_stream_reports_a_jump_its_clock_smooths) {
  EventLoop loop;
  StreamOptions options;
  options.health = {1000, 2000};
  StreamRegistry registry(loop, options);
  std::string error;
  auto lease = registry.publish("live", "h", "peer", nullptr, error);
  BOOST_REQUIRE(lease);
  Fixture f;  // only for its packet maker
  for (int64_t dts = 0; dts < 1000; dts += 40) lease->push(f.packet(MediaKind::Video, dts, 10));
  lease->push(f.packet(MediaKind::Video, 100000, 10));
  const Stream* s = registry.find("live/h");
  BOOST_REQUIRE(s);
  BOOST_TEST(s->lastDts() < 2000);  // smoothed
  const auto r = s->health().report(s->hasPublisher());
  BOOST_TEST(r.gaps == 1u);
  BOOST_REQUIRE(r.lastGap);
  BOOST_TEST(r.lastGap->ms == 100000 - 960);
}
