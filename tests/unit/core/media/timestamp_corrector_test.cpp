#include "core/media/timestamp_corrector.hpp"

#include <boost/test/unit_test.hpp>

using core::MediaKind;
using core::TimestampCorrector;

BOOST_AUTO_TEST_CASE(steady_timestamps_pass_through) {
  TimestampCorrector c(3000);
  for (int64_t t = 0; t < 2000; t += 33) {
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

BOOST_AUTO_TEST_CASE(timestamps_past_2_32_pass_through_as_they_are) {
  // The wrap of RTMP's 32-bit timestamps is the protocol's business: the corrector
  // takes 64-bit input and never folds it back.
  TimestampCorrector c(3000);
  const int64_t past = (int64_t{1} << 32) + 5000;
  BOOST_TEST(c.correct(MediaKind::Video, past).dts == past);
  auto next = c.correct(MediaKind::Video, past + 33);
  BOOST_TEST(!next.discontinuity);
  BOOST_TEST(next.dts == past + 33);
}

BOOST_AUTO_TEST_CASE(a_new_publisher_continues_after_the_last_timestamp) {
  TimestampCorrector c(3000);
  for (int64_t t = 0; t <= 5000; t += 40) c.correct(MediaKind::Video, t);
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
  for (int64_t t = 1200; t < 11200; t += 40) {
    auto v = c.correct(MediaKind::Video, t);
    auto a = c.correct(MediaKind::Audio, t - 1200);
    BOOST_TEST(!v.discontinuity);
    BOOST_TEST(!a.discontinuity);
    BOOST_TEST(v.dts - a.dts == 1200);
  }
}

BOOST_AUTO_TEST_CASE(both_tracks_jumping_together_stay_together) {
  TimestampCorrector c(3000);
  for (int64_t t = 0; t <= 1000; t += 20) {
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

BOOST_AUTO_TEST_CASE(passthrough_keeps_timestamps_and_only_clamps_rewinds) {
  TimestampCorrector c(3000, TimestampCorrector::Mode::Passthrough);
  BOOST_TEST((c.mode() == TimestampCorrector::Mode::Passthrough));
  BOOST_TEST(c.correct(MediaKind::Video, 90000).dts == 90000);  // no re-basing to 0
  auto jump = c.correct(MediaKind::Video, 200000);              // a jump is kept
  BOOST_TEST(!jump.discontinuity);
  BOOST_TEST(jump.dts == 200000);
  auto rewind = c.correct(MediaKind::Video, 150000);  // a rewind is clamped
  BOOST_TEST(!rewind.discontinuity);
  BOOST_TEST(rewind.dts == 200000);
  BOOST_TEST(c.correct(MediaKind::Audio, 150000).dts == 150000);  // per track
  BOOST_TEST(c.correct(MediaKind::Video, 200040).dts == 200040);

  // A republish keeps the producer's clock (no continue-after offset) and the
  // clamps: viewers never see the track go back.
  c.restart();
  BOOST_TEST(c.correct(MediaKind::Video, 200100).dts == 200100);
  BOOST_TEST(c.correct(MediaKind::Video, 10).dts == 200100);
  BOOST_TEST(c.lastDts() == 200100);
}

BOOST_AUTO_TEST_CASE(the_mode_can_be_set_after_construction) {
  TimestampCorrector c(3000);
  BOOST_TEST((c.mode() == TimestampCorrector::Mode::Smooth));
  c.setMode(TimestampCorrector::Mode::Passthrough);
  c.correct(MediaKind::Video, 0);
  BOOST_TEST(c.correct(MediaKind::Video, 100000).dts == 100000);  // Smooth would give 1
}
