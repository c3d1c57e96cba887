#include "mixer/audio_clock.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>

using mixer::AudioClock;

namespace {

int64_t msOf(int64_t samples, int rate) {
  return std::llround(static_cast<double>(samples) * 1000.0 / rate);
}

}  // namespace

BOOST_AUTO_TEST_CASE(continuous_input_gives_exact_ms_without_drift) {
  AudioClock clock(44100, 48000);
  BOOST_TEST(clock.input(500, 1024));  // the first frame anchors
  for (int i = 1; i < 2000; ++i) {
    // The source's own ms, rounded as RTMP carries them.
    BOOST_TEST(!clock.input(500 + msOf(int64_t{i} * 1024, 44100), 1024));
  }
  for (int64_t k = 0; k < 1500; ++k) {
    int64_t ms = clock.output(k * 1024);
    BOOST_TEST(ms == 500 + msOf(k * 1024, 48000), "frame " << k);
  }
  BOOST_TEST(clock.resyncs() == 0);
}

BOOST_AUTO_TEST_CASE(one_ms_jitter_does_not_resync_a_lost_frame_does) {
  AudioClock clock(48000, 48000);
  clock.input(0, 1024);
  BOOST_TEST(!clock.input(22, 1024));  // 21.33 ms rounded the other way
  BOOST_TEST(!clock.input(42, 1024));  // 42.67
  // Frame 3 (64 ms) lost: frame 4 at 85 ms where 64 was expected.
  BOOST_TEST(clock.input(85, 1024));
  BOOST_TEST(clock.resyncs() == 1);
  BOOST_TEST(clock.output(0) == 0);
  BOOST_TEST(clock.output(1024) == 21);
  BOOST_TEST(clock.output(2048) == 43);
  BOOST_TEST(clock.output(3072) == 85);  // the samples of the frame after the gap
  BOOST_TEST(clock.output(4096) == 85 + 21);
}

BOOST_AUTO_TEST_CASE(anchors_map_through_the_rate_change) {
  AudioClock clock(32000, 48000);
  clock.input(1000, 32000);              // one second
  BOOST_TEST(clock.input(5000, 32000));  // then a 3 s gap
  BOOST_TEST(clock.output(47000) == 1000 + msOf(47000, 48000));
  BOOST_TEST(clock.output(48000) == 5000);
  BOOST_TEST(clock.output(48000 + 1024) == 5021);
}

BOOST_AUTO_TEST_CASE(a_backward_jump_stays_strictly_increasing) {
  AudioClock clock(48000, 48000);
  clock.input(10000, 1024);
  clock.input(10021, 1024);
  BOOST_TEST(clock.input(0, 1024));  // the source's clock restarted
  BOOST_TEST(clock.output(0) == 10000);
  BOOST_TEST(clock.output(1024) == 10021);
  int64_t third = clock.output(2048);
  BOOST_TEST(third == 10022);  // 0 would go back: one ms on instead
  BOOST_TEST(clock.output(3072) == 10023);
}

BOOST_AUTO_TEST_CASE(frames_without_pts_continue_the_timeline) {
  AudioClock clock(48000, 48000);
  clock.input(AudioClock::kNoPts, 1152);  // nothing known: starts at 0
  BOOST_TEST(!clock.input(AudioClock::kNoPts, 1152));
  BOOST_TEST(!clock.input(48, 1152));
  BOOST_TEST(clock.output(0) == 0);
  BOOST_TEST(clock.output(2304) == 48);
}
