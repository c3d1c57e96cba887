#include "protocols/hls/ll_playlist.hpp"

#include <boost/test/unit_test.hpp>

using hls::LlPart;
using hls::LlPlaylist;

namespace {
LlPart part(int64_t ms, bool independent = false) {
  return {ms, independent, core::SharedBuffer::copyOf(std::string_view("moofmdat"))};
}
size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}
// A segment of `parts` parts of 333 ms.
void segment(LlPlaylist& p, int parts, bool discontinuity = false, uint32_t map = 0) {
  p.beginSegment(1764154000000, discontinuity, map);
  for (int i = 0; i < parts; ++i) p.addPart(part(333, i == 0));
  p.completeSegment(333 * parts);
}
}  // namespace

BOOST_AUTO_TEST_CASE(server_control_part_inf_parts_and_preload_hint) {
  LlPlaylist p({2000, 333, 6, 3});
  segment(p, 6);
  p.beginSegment(1764154002000, false, 0);
  p.addPart(part(333, true));
  p.addPart(part(334));
  const std::string text = p.render("ll/");
  BOOST_TEST(text.find("#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.000\n") !=
             std::string::npos);
  BOOST_TEST(text.find("#EXT-X-PART-INF:PART-TARGET=0.333\n") != std::string::npos);
  BOOST_TEST(text.find("#EXT-X-MAP:URI=\"ll/init-0.mp4\"\n") != std::string::npos);
  BOOST_TEST(count(text, "#EXT-X-PART:") == 8u);
  BOOST_TEST(text.find("#EXT-X-PART:DURATION=0.333,URI=\"ll/1.0.m4s\",INDEPENDENT=YES\n") !=
             std::string::npos);
  BOOST_TEST(text.find("#EXTINF:1.998,\nll/0.m4s\n") != std::string::npos);
  // The next part is hinted: segment 1, part 2.
  BOOST_TEST(text.find("#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"ll/1.2.m4s\"\n") != std::string::npos);
  BOOST_TEST(text.find("ENDLIST") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(blocking_reload_conditions_follow_the_spec) {
  LlPlaylist p({2000, 333, 6, 3});
  BOOST_TEST(!p.has(0, std::nullopt));
  p.beginSegment(0, false, 0);
  p.addPart(part(333, true));
  BOOST_TEST(p.has(0, 0));
  BOOST_TEST(!p.has(0, 1));
  BOOST_TEST(!p.has(0, std::nullopt));  // segment 0 not complete yet
  p.addPart(part(333));
  p.completeSegment(666);
  BOOST_TEST(p.has(0, std::nullopt));
  BOOST_TEST(p.has(0, 5));  // "or later": segment 0 is complete
  BOOST_TEST(!p.has(1, 0));
  BOOST_TEST(p.nextMsn() == 1u);
  BOOST_TEST(p.nextPartIndex() == 0u);
  // More than two segments ahead of the last one listed is refused.
  BOOST_TEST(!p.tooFarAhead(2));
  BOOST_TEST(p.tooFarAhead(3));
}

BOOST_AUTO_TEST_CASE(parts_are_listed_only_for_recent_segments) {
  LlPlaylist p({2000, 333, 6, 3});
  for (int i = 0; i < 6; ++i) segment(p, 6);
  const std::string text = p.render("ll/");
  BOOST_TEST(count(text, "#EXTINF:") == 6u);
  BOOST_TEST(count(text, "#EXT-X-PART:") == 3u * 6u);
  BOOST_TEST(text.find("URI=\"ll/2.0.m4s\"") == std::string::npos);
  BOOST_TEST(text.find("URI=\"ll/3.0.m4s\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_new_init_segment_and_discontinuity_after_a_new_publisher) {
  LlPlaylist p({2000, 333, 6, 3});
  segment(p, 3);
  segment(p, 3, true, 1);
  const std::string text = p.render("ll/");
  BOOST_TEST(count(text, "#EXT-X-MAP:") == 2u);
  const auto disc = text.find("#EXT-X-DISCONTINUITY\n");
  const auto map1 = text.find("#EXT-X-MAP:URI=\"ll/init-1.mp4\"");
  BOOST_TEST(disc != std::string::npos);
  BOOST_TEST(disc < map1);
  p.end();
  const std::string ended = p.render("ll/");
  BOOST_TEST(ended.find("#EXT-X-ENDLIST\n") != std::string::npos);
  BOOST_TEST(ended.find("PRELOAD-HINT") == std::string::npos);
  BOOST_TEST(p.has(99, 0));  // an ended playlist answers every blocked request
}

BOOST_AUTO_TEST_CASE(target_duration_grows_with_a_long_segment) {
  LlPlaylist p({2000, 333, 6, 3});
  segment(p, 14);  // 4.662 s: a long GOP
  BOOST_TEST(p.targetDurationSeconds() == 5);
  BOOST_TEST(p.render("ll/").find("#EXT-X-TARGETDURATION:5\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(rendition_reports_list_siblings) {
  LlPlaylist p({2000, 333, 6, 3});
  BOOST_TEST(!p.lastPart().has_value());  // nothing to report yet
  p.startAt(40);
  segment(p, 6);
  BOOST_TEST((p.lastPart() == std::make_pair(uint64_t{40}, uint64_t{5})));  // complete, none after
  p.beginSegment(1764154002000, false, 0);
  p.addPart(part(333, true));
  p.addPart(part(333));
  BOOST_TEST((p.lastPart() == std::make_pair(uint64_t{41}, uint64_t{1})));

  const std::vector<hls::RenditionReport> reports = {
      {"../demo_720p/ll.m3u8", 41, 1},
      {"../demo_480p/ll.m3u8?expire=1700000000&sign=ab12", 40, 5},
      {"", 1, 1}};  // no URI: left out
  BOOST_TEST(hls::renderRenditionReports(reports) ==
             "#EXT-X-RENDITION-REPORT:URI=\"../demo_720p/ll.m3u8\",LAST-MSN=41,LAST-PART=1\n"
             "#EXT-X-RENDITION-REPORT:URI=\"../demo_480p/ll.m3u8?expire=1700000000&sign=ab12\","
             "LAST-MSN=40,LAST-PART=5\n");
  BOOST_TEST(hls::renderRenditionReports({}).empty());
}

BOOST_AUTO_TEST_CASE(the_first_msn_is_the_one_given_later_ones_count_on) {
  LlPlaylist p({2000, 333, 6, 3});
  p.startAt(7);
  segment(p, 3);
  p.startAt(100);  // too late: numbers are fixed once a segment began
  segment(p, 3);
  BOOST_TEST(p.find(7) != nullptr);
  BOOST_TEST(p.find(8) != nullptr);
  BOOST_TEST(p.render("ll/").find("#EXT-X-MEDIA-SEQUENCE:7\n") != std::string::npos);
}
