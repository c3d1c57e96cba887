#include "protocols/webrtc/rtp_timeline.hpp"

#include <boost/test/unit_test.hpp>

using webrtc::RtpTimeline;
using Track = RtpTimeline::Track;

namespace {

// NTP 32.32 of `ms` after an arbitrary epoch second.
uint64_t ntpAt(int64_t ms) {
  const uint64_t seconds = 3'900'000'000ull + static_cast<uint64_t>(ms / 1000);
  const uint64_t frac = (static_cast<uint64_t>(ms % 1000) << 32) / 1000;
  return (seconds << 32) | frac;
}

}  // namespace

BOOST_AUTO_TEST_CASE(each_track_starts_at_its_first_arrival_without_reports) {
  RtpTimeline t(90000, 48000);
  BOOST_TEST(t.ms(Track::Video, 1000, 100) == 100);
  BOOST_TEST(t.ms(Track::Video, 1000 + 90000, 1150) == 1100);  // the RTP clock, not arrival
  BOOST_TEST(t.ms(Track::Audio, 7, 400) == 400);
  BOOST_TEST(t.ms(Track::Audio, 7 + 960, 410) == 420);
  BOOST_TEST(t.audioOffsetMs() == 0);
}

BOOST_AUTO_TEST_CASE(reports_move_late_audio_to_the_picture_of_its_capture_time) {
  // Both captured at NTP 10 000 ms; the audio reaches us 300 ms after the video.
  RtpTimeline t(90000, 48000);
  BOOST_TEST(t.ms(Track::Video, 1000, 100) == 100);
  BOOST_TEST(t.ms(Track::Audio, 5000, 400) == 400);
  // Sender reports a second later, each mapping its clock to the shared NTP clock.
  BOOST_TEST(!t.onSenderReport(Track::Video, ntpAt(11000), 1000 + 90000).has_value());
  auto sync = t.onSenderReport(Track::Audio, ntpAt(11000), 5000 + 48000);
  BOOST_REQUIRE(sync.has_value());
  BOOST_TEST(sync->audioOffsetMs == -300);
  BOOST_TEST(sync->changeMs == -300);
  // The audio of capture time 10 000 + 2000 is now at the video's time for it.
  BOOST_TEST(t.ms(Track::Video, 1000 + 2 * 90000, 2200) == 2100);
  BOOST_TEST(t.ms(Track::Audio, 5000 + 2 * 48000, 2400) == 2100);
}

BOOST_AUTO_TEST_CASE(audio_captured_later_than_the_first_picture_keeps_that_distance) {
  // The microphone's first sample was captured 500 ms after the first picture, and
  // both arrive with the same delay: the arrival anchors were right already.
  RtpTimeline t(90000, 48000);
  t.ms(Track::Video, 0, 0);
  t.ms(Track::Audio, 0, 500);
  t.onSenderReport(Track::Audio, ntpAt(20000 + 500 + 1000), 48000);
  auto sync = t.onSenderReport(Track::Video, ntpAt(20000 + 1000), 90000);
  BOOST_REQUIRE(sync.has_value());
  BOOST_TEST(sync->audioOffsetMs == 0);
}

BOOST_AUTO_TEST_CASE(small_disagreements_later_do_not_move_the_audio_again) {
  RtpTimeline t(90000, 48000);
  t.ms(Track::Video, 0, 0);
  t.ms(Track::Audio, 0, 200);
  t.onSenderReport(Track::Video, ntpAt(1000), 90000);
  BOOST_REQUIRE(t.onSenderReport(Track::Audio, ntpAt(1000), 48000).has_value());
  BOOST_TEST(t.audioOffsetMs() == -200);
  // 30 ms of clock drift by the next reports: kept.
  BOOST_TEST(!t.onSenderReport(Track::Audio, ntpAt(5030), 5 * 48000).has_value());
  BOOST_TEST(t.audioOffsetMs() == -200);
  // 100 ms: moved, by the difference.
  auto sync = t.onSenderReport(Track::Audio, ntpAt(9100), 9 * 48000);
  BOOST_REQUIRE(sync.has_value());
  BOOST_TEST(sync->audioOffsetMs == -100);
  BOOST_TEST(sync->changeMs == 100);
}

BOOST_AUTO_TEST_CASE(absurd_reports_are_not_believed) {
  RtpTimeline t(90000, 48000);
  t.ms(Track::Video, 0, 0);
  t.ms(Track::Audio, 0, 0);
  t.onSenderReport(Track::Video, ntpAt(1000), 90000);
  // The audio's clock claims a capture an hour away.
  BOOST_TEST(!t.onSenderReport(Track::Audio, ntpAt(3'600'000), 48000).has_value());
  BOOST_TEST(t.audioOffsetMs() == 0);
  BOOST_TEST(t.rejectedReports() == 1u);
}

BOOST_AUTO_TEST_CASE(timestamps_and_reports_across_the_32_bit_wrap) {
  RtpTimeline t(90000, 48000);
  const uint32_t start = 0xffffffffu - 45000;  // half a second before the wrap
  BOOST_TEST(t.ms(Track::Video, start, 0) == 0);
  BOOST_TEST(t.ms(Track::Video, start + 90000u, 1000) == 1000);  // wrapped
  t.ms(Track::Audio, 100, 250);
  // The video report's timestamp is before the wrap (a late report): still placed.
  t.onSenderReport(Track::Video, ntpAt(500), start + 45000u);
  auto sync = t.onSenderReport(Track::Audio, ntpAt(500), 100 + 24000);
  BOOST_REQUIRE(sync.has_value());
  BOOST_TEST(sync->audioOffsetMs == -250);
}

BOOST_AUTO_TEST_CASE(reports_before_the_first_packets_sync_the_first_frames) {
  // The sender reports came while the jitter buffer still held the first frames (or
  // the picture waited for its keyframe): they are placed when the packets come.
  RtpTimeline t(90000, 48000);
  BOOST_TEST(!t.onSenderReport(Track::Video, ntpAt(10000), 90000).has_value());
  BOOST_TEST(!t.onSenderReport(Track::Audio, ntpAt(10000), 48000).has_value());
  // The first picture, captured at NTP 10 000 + 1000 (RTP 2 * 90000), arrives at 50.
  BOOST_TEST(t.ms(Track::Video, 2 * 90000, 50) == 50);
  BOOST_TEST(!t.takeSync().has_value());  // the audio has no packet yet
  // The first audio, captured at the same moment, arrives 300 ms later.
  BOOST_TEST(t.ms(Track::Audio, 2 * 48000, 350) == 50);
  auto sync = t.takeSync();
  BOOST_REQUIRE(sync.has_value());
  BOOST_TEST(sync->audioOffsetMs == -300);
  BOOST_TEST(!t.takeSync().has_value());  // once
  // A report before the first packet with a timestamp before it (a wrap apart).
  RtpTimeline w(90000, 48000);
  w.onSenderReport(Track::Video, ntpAt(0), 0xffffffffu - 8999);  // 100 ms before
  w.onSenderReport(Track::Audio, ntpAt(100), 0);
  w.ms(Track::Video, 1, 0);
  BOOST_TEST(w.ms(Track::Audio, 0, 40) == 0);  // captured with the first picture
}
