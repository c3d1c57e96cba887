#include "protocols/hls/media_playlist.hpp"

#include <boost/test/unit_test.hpp>
#include <sstream>

using hls::MediaPlaylist;
using hls::Segment;

namespace {
Segment seg(int64_t durationMs, bool discontinuity = false) {
  Segment s;
  s.durationMs = durationMs;
  s.programDateMs = 1764154000123;
  s.discontinuity = discontinuity;
  s.bytes = core::SharedBuffer::copyOf(std::string_view("ts"));
  return s;
}
std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(renders_a_live_window) {
  MediaPlaylist p({2000, 3, 2});
  for (int i = 0; i < 5; ++i) p.add(seg(2000));
  const std::string text = p.render("demo/");
  auto l = lines(text);
  BOOST_TEST(l[0] == "#EXTM3U");
  BOOST_TEST(text.find("#EXT-X-TARGETDURATION:2\n") != std::string::npos);
  BOOST_TEST(text.find("#EXT-X-MEDIA-SEQUENCE:2\n") != std::string::npos);
  BOOST_TEST(count(text, "#EXTINF:2.000,") == 3u);
  BOOST_TEST(text.find("demo/2.ts\ndemo/3.ts") == std::string::npos);  // tags between
  BOOST_TEST(text.find("demo/4.ts") != std::string::npos);
  BOOST_TEST(text.find("demo/1.ts") == std::string::npos);
  BOOST_TEST(count(text, "#EXT-X-PROGRAM-DATE-TIME:2025-11-26T10:46:40.123Z") == 3u);
  BOOST_TEST(text.find("ENDLIST") == std::string::npos);
  // Segments that left the window stay servable for a while.
  BOOST_TEST(p.find(1) != nullptr);
  BOOST_TEST(p.find(0) != nullptr);
  p.add(seg(2000));
  BOOST_TEST(p.find(0) == nullptr);
}

BOOST_AUTO_TEST_CASE(target_duration_covers_every_segment_and_never_shrinks) {
  MediaPlaylist p({2000, 6, 0});
  p.add(seg(2000));
  p.add(seg(4400));  // a long GOP
  BOOST_TEST(p.targetDurationSeconds() == 4);
  p.add(seg(4600));  // rounds to 5
  BOOST_TEST(p.targetDurationSeconds() == 5);
  for (int i = 0; i < 10; ++i) p.add(seg(2000));
  BOOST_TEST(p.targetDurationSeconds() == 5);
  BOOST_TEST(p.render("x/").find("#EXT-X-TARGETDURATION:5\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(discontinuities_are_tagged_and_counted_when_they_leave) {
  MediaPlaylist p({2000, 3, 0});
  p.add(seg(2000));
  p.add(seg(2000, true));
  p.add(seg(2000));
  std::string text = p.render("d/");
  BOOST_TEST(count(text, "#EXT-X-DISCONTINUITY\n") == 1u);
  BOOST_TEST(text.find("#EXT-X-DISCONTINUITY-SEQUENCE") == std::string::npos);
  p.add(seg(2000));  // segment 0 leaves: the discontinuity is still inside
  text = p.render("d/");
  BOOST_TEST(count(text, "#EXT-X-DISCONTINUITY\n") == 1u);  // before segment 1, now first
  BOOST_TEST(text.find("#EXT-X-DISCONTINUITY-SEQUENCE") == std::string::npos);
  p.add(seg(2000));  // segment 1 (with the tag) leaves
  text = p.render("d/");
  BOOST_TEST(count(text, "#EXT-X-DISCONTINUITY\n") == 0u);
  BOOST_TEST(text.find("#EXT-X-DISCONTINUITY-SEQUENCE:1\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_ended_playlist_says_so_and_can_reopen) {
  MediaPlaylist p({2000, 3, 0});
  p.add(seg(1500));
  p.end();
  BOOST_TEST(p.render("d/").find("#EXT-X-ENDLIST\n") != std::string::npos);
  p.reopen();
  BOOST_TEST(p.render("d/").find("ENDLIST") == std::string::npos);
  BOOST_TEST(p.nextSequence() == 1u);
}

BOOST_AUTO_TEST_CASE(program_date_is_iso8601_utc_with_milliseconds) {
  BOOST_TEST(hls::formatProgramDate(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(hls::formatProgramDate(1764154000123) == "2025-11-26T10:46:40.123Z");
}

BOOST_AUTO_TEST_CASE(date_ranges_show_while_their_moment_is_in_the_window) {
  MediaPlaylist p({2000, 2, 1});
  auto at = [](int64_t startDts) {
    Segment s = seg(2000);
    s.startDts = startDts;
    return s;
  };
  p.add(at(0));
  hls::DateRange r;
  r.id = "status-7";
  r.cls = "com.roomcast.status";
  r.startDateMs = 1764154001500;
  r.streamMs = 1500;
  r.attributes = {{"X-STATUS", "3"}, {"X-REASON", hls::quoteAttribute("say \"hi\"\nnow")}};
  p.addDateRange(r);
  const std::string text = p.render("demo/");
  BOOST_TEST(text.find("#EXT-X-DATERANGE:ID=\"status-7\",CLASS=\"com.roomcast.status\","
                       "START-DATE=\"2025-11-26T10:46:41.500Z\",X-STATUS=3,"
                       "X-REASON=\"say 'hi' now\"\n") != std::string::npos,
             text);
  // The tag comes before the first segment's lines.
  BOOST_TEST(text.find("#EXT-X-DATERANGE") < text.find("#EXTINF"));
  p.add(at(2000));
  BOOST_TEST(count(p.render("demo/"), "#EXT-X-DATERANGE") == 1u);  // 0 still in the window
  p.add(at(4000));  // window is 2000, 4000: the moment (1500) left it
  BOOST_TEST(count(p.render("demo/"), "#EXT-X-DATERANGE") == 0u);
  for (int i = 0; i < 100; ++i) {
    r.id = "status-" + std::to_string(i);
    r.streamMs = 5000;
    p.addDateRange(r);
  }
  BOOST_TEST(count(p.render("demo/"), "#EXT-X-DATERANGE") == MediaPlaylist::kMaxDateRanges);
}

BOOST_AUTO_TEST_CASE(bitrates_are_the_peak_and_the_mean_of_the_window) {
  MediaPlaylist p({2000, 2, 3});
  BOOST_TEST(p.bitrates().segments == 0u);
  BOOST_TEST(p.bitrates().peak == 0u);
  auto sized = [](int64_t ms, size_t bytes) {
    Segment s = seg(ms);
    s.bytes = core::SharedBuffer::copyOf(std::string(bytes, 'x'));
    return s;
  };
  p.add(sized(2000, 1000000));  // 4 Mbit/s, leaves the window of 2 below
  p.add(sized(2000, 500000));   // 2 Mbit/s
  p.add(sized(1000, 375000));   // 3 Mbit/s
  const auto r = p.bitrates();
  BOOST_TEST(r.segments == 2u);
  BOOST_TEST(r.peak == 3000000u);
  BOOST_TEST(r.average == uint64_t{500000 + 375000} * 8000 / 3000);
}

BOOST_AUTO_TEST_CASE(the_first_sequence_is_the_one_given_later_ones_count_on) {
  MediaPlaylist p({2000, 3, 2});
  p.startAt(30);
  p.startAt(31);  // the last word before the first segment counts
  p.add(seg(2000));
  p.startAt(100);  // too late: numbers are fixed
  p.add(seg(2000));
  BOOST_TEST(p.find(31) != nullptr);
  BOOST_TEST(p.find(32) != nullptr);
  BOOST_TEST(p.nextSequence() == 33u);
  BOOST_TEST(p.render("demo/").find("#EXT-X-MEDIA-SEQUENCE:31\n") != std::string::npos);
}
