#include "mixer/playlist_timeline.hpp"

#include <boost/test/unit_test.hpp>

#include "mixer/playlist_pacer.hpp"

using core::MediaKind;
using mixer::PlaylistPacer;
using mixer::PlaylistTimeline;

namespace {

// A 1 s item as ffmpeg writes MP4: 15 fps video from 0 ms, AAC (44.1 kHz, 1024
// samples) from -23 ms (the priming frame) to 1000 ms. Returns the mapped video dts.
std::vector<int64_t> timelinePlayItem(PlaylistTimeline& t, int64_t videoBase = 0) {
  t.beginItem(videoBase);
  std::vector<int64_t> video;
  for (int i = 0; i < 15; ++i) {
    const int64_t dts = videoBase + i * 1000 / 15;
    auto m = t.map(MediaKind::Video, dts, dts, videoBase + (i + 1) * 1000 / 15);
    BOOST_REQUIRE(m);
    video.push_back(m->dts);
  }
  for (int i = -1; i < 43; ++i) {
    const int64_t dts = videoBase + i * 1024 * 1000 / 44100;
    const int64_t end =
        std::min<int64_t>(videoBase + (i + 1) * 1024 * 1000 / 44100, videoBase + 1000);
    auto m = t.map(MediaKind::Audio, dts, dts, end);
    BOOST_TEST(m.has_value() == (i >= 0));  // the priming frame before the picture: dropped
  }
  return video;
}

}  // namespace

BOOST_AUTO_TEST_CASE(items_follow_one_frame_after_the_last) {
  PlaylistTimeline t;
  const auto first = timelinePlayItem(t);
  BOOST_TEST(first.front() == 0);
  BOOST_TEST(first.back() == 933);
  BOOST_TEST(t.end() == 1000);
  const auto second = timelinePlayItem(t);
  BOOST_TEST(t.itemStart() == 1000);
  BOOST_TEST(second.front() == 1000);  // 933 + one frame
  BOOST_TEST(second.back() == 1933);
  // A file whose clock starts elsewhere (a recording at 5 s) is rebased the same.
  const auto third = timelinePlayItem(t, 5000);
  BOOST_TEST(third.front() == 2000);
}

BOOST_AUTO_TEST_CASE(b_frames_keep_their_composition_offset) {
  PlaylistTimeline t;
  t.beginItem(-133);  // x264 with B-frames: the first dts is two frames before pts 0
  auto m = t.map(MediaKind::Video, -133, 0, -67);
  BOOST_REQUIRE(m);
  BOOST_TEST(m->dts == 0);
  BOOST_TEST(m->pts == 133);
}

BOOST_AUTO_TEST_CASE(the_longer_track_sets_the_end) {
  PlaylistTimeline t;
  t.beginItem(0);
  t.map(MediaKind::Video, 0, 0, 40);
  t.map(MediaKind::Audio, 0, 0, 23);
  t.map(MediaKind::Audio, 23, 23, 46);
  t.map(MediaKind::Audio, 46, 46, 69);
  BOOST_TEST(t.end() == 69);
  t.beginItem(0);
  BOOST_TEST(t.itemStart() == 69);
}

BOOST_AUTO_TEST_CASE(going_back_video_clamped_audio_dropped) {
  PlaylistTimeline t;
  t.beginItem(0);
  t.map(MediaKind::Video, 100, 100, 140);
  auto v = t.map(MediaKind::Video, 60, 80, 100);
  BOOST_REQUIRE(v);
  BOOST_TEST(v->dts == 100);
  BOOST_TEST(v->pts == 120);
  t.map(MediaKind::Audio, 100, 100, 123);
  BOOST_TEST(!t.map(MediaKind::Audio, 50, 50, 73));
}

BOOST_AUTO_TEST_CASE(an_idle_wait_moves_the_next_item_later) {
  PlaylistTimeline t;
  timelinePlayItem(t);
  t.idleUntil(600);  // in the past of the clock: no effect
  BOOST_TEST(t.end() == 1000);
  t.idleUntil(61'000);  // a start_at a minute later
  const auto next = timelinePlayItem(t);
  BOOST_TEST(next.front() == 61'000);
}

BOOST_AUTO_TEST_CASE(pacer_runs_in_real_time_and_reanchors_when_late) {
  PlaylistPacer p;
  const uint64_t ms = 1'000'000;
  BOOST_TEST(!p.outAt(0).has_value());
  BOOST_TEST(p.dueNs(500, 10'000 * ms) == 10'000 * ms);  // anchored
  BOOST_TEST(p.dueNs(567, 10'001 * ms) == 10'067 * ms);
  BOOST_TEST(*p.outAt(12'000 * ms) == 2'500);
  BOOST_TEST(p.dueNs(1'000, 10'400 * ms) == 10'500 * ms);  // a little late: as it was
  // More than kMaxLateMs behind: this packet goes now and the clock follows it.
  BOOST_TEST(p.dueNs(1'100, 20'000 * ms) == 20'000 * ms);
  BOOST_TEST(p.dueNs(1'200, 20'000 * ms) == 20'100 * ms);
}
