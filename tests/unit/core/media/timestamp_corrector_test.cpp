#include "core/media/timestamp_corrector.hpp"

#include <boost/test/unit_test.hpp>

using core::MediaKind;
using core::TimestampCorrector;

BOOST_AUTO_TEST_CASE(steady_timestamps_pass_through) {
  TimestampCorrector c(3000);
  for (uint32_t t = 0; t < 2000; t += 33) {
    auto r = c.correct(MediaKind::Video, t);
    BOOST_TEST(r.dts == int64_t(t));
    BOOST_TEST(!r.discontinuity);
  }
}

BOOST_AUTO_TEST_CASE(interleaving_skew_is_not_a_discontinuity) {
  TimestampCorrector c(3000);
  c.correct(MediaKind::Video, 1000);
  auto a = c.correct(MediaKind::Audio, 960);  // audio slightly behind video
  BOOST_TEST(!a.discontinuity);
  BOOST_TEST(a.dts == 960);
}

BOOST_AUTO_TEST_CASE(jumps_and_rewinds_are_smoothed_and_reported) {
  TimestampCorrector c(3000);
  c.correct(MediaKind::Video, 0);
  c.correct(MediaKind::Video, 33);
  auto jump = c.correct(MediaKind::Video, 100000);
  BOOST_REQUIRE(jump.discontinuity.has_value());
  BOOST_TEST(*jump.discontinuity == 100000 - 33);
  BOOST_TEST(jump.dts == 34);
  BOOST_TEST(c.correct(MediaKind::Video, 100033).dts == 67);

  auto rewind = c.correct(MediaKind::Video, 5);
  BOOST_REQUIRE(rewind.discontinuity.has_value());
  BOOST_TEST(rewind.dts == 68);
  BOOST_TEST(c.correct(MediaKind::Video, 38).dts == 101);
}

BOOST_AUTO_TEST_CASE(each_track_stays_monotonic) {
  TimestampCorrector c(3000);
  c.correct(MediaKind::Audio, 500);
  auto back = c.correct(MediaKind::Audio, 480);  // small rewind within one track
  BOOST_TEST(back.dts == 500);
}

BOOST_AUTO_TEST_CASE(thirty_two_bit_wrap_continues_the_clock) {
  TimestampCorrector c(3000);
  const uint32_t nearEnd = 0xFFFFFFFFu - 20;
  c.correct(MediaKind::Video, nearEnd);
  auto after = c.correct(MediaKind::Video, 12);  // wrapped: 33 ms later
  BOOST_TEST(!after.discontinuity);
  BOOST_TEST(after.dts == int64_t(nearEnd) + 33);
}

BOOST_AUTO_TEST_CASE(a_new_publisher_continues_after_the_last_timestamp) {
  TimestampCorrector c(3000);
  for (uint32_t t = 0; t <= 5000; t += 40) c.correct(MediaKind::Video, t);
  BOOST_TEST(c.lastDts() == 5000);
  c.restart();
  auto first = c.correct(MediaKind::Video, 0);  // the new publisher starts at 0
  BOOST_TEST(!first.discontinuity);
  BOOST_TEST(first.dts == 5001);
  BOOST_TEST(c.correct(MediaKind::Video, 40).dts == 5041);
}

BOOST_AUTO_TEST_CASE(a_steady_skew_between_tracks_is_kept_not_corrected) {
  TimestampCorrector c(3000);
  // Audio runs 1.2 s behind video for 10 s: no discontinuity, the skew is kept.
  for (uint32_t t = 1200; t < 11200; t += 40) {
    auto v = c.correct(MediaKind::Video, t);
    auto a = c.correct(MediaKind::Audio, t - 1200);
    BOOST_TEST(!v.discontinuity);
    BOOST_TEST(!a.discontinuity);
    BOOST_TEST(v.dts - a.dts == 1200);
  }
}

BOOST_AUTO_TEST_CASE(both_tracks_jumping_together_stay_together) {
  TimestampCorrector c(3000);
  for (uint32_t t = 0; t <= 1000; t += 20) {
    c.correct(MediaKind::Video, t);
    c.correct(MediaKind::Audio, t);
  }
  auto v = c.correct(MediaKind::Video, 500000);
  auto a = c.correct(MediaKind::Audio, 500000);
  BOOST_TEST(v.discontinuity.has_value());
  BOOST_TEST(a.discontinuity.has_value());
  BOOST_TEST(std::abs(v.dts - a.dts) <= 1);
  BOOST_TEST(std::abs(c.correct(MediaKind::Video, 500040).dts - v.dts - 40) <= 1);
}
