#include "protocols/hls/master_playlist.hpp"

#include <boost/test/unit_test.hpp>
#include <sstream>
#include <vector>

using hls::Variant;

namespace {
std::vector<std::string> masterLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}
Variant variant(std::string uri, uint64_t bandwidth) {
  Variant v;
  v.uri = std::move(uri);
  v.bandwidth = bandwidth;
  return v;
}
}  // namespace

BOOST_AUTO_TEST_CASE(every_variant_has_bandwidth_resolution_frame_rate_and_codecs) {
  Variant source = variant("../demo.m3u8", 3400000);
  source.averageBandwidth = 3100000;
  source.width = 1920;
  source.height = 1080;
  source.fps = 30000.0 / 1001;
  source.codecs = "avc1.640028,mp4a.40.2";
  Variant rung = variant("../demo_720p.m3u8", 2750000);
  rung.averageBandwidth = 2500000;
  rung.width = 1280;
  rung.height = 720;
  rung.fps = 30;
  rung.codecs = "avc1.64001f,mp4a.40.2";
  const std::vector<Variant> variants{source, rung};
  const auto l = masterLines(hls::renderMasterPlaylist(3, variants));
  BOOST_REQUIRE_EQUAL(l.size(), 7u);
  BOOST_TEST(l[0] == "#EXTM3U");
  BOOST_TEST(l[1] == "#EXT-X-VERSION:3");
  BOOST_TEST(l[2] == "#EXT-X-INDEPENDENT-SEGMENTS");
  BOOST_TEST(l[3] ==
             "#EXT-X-STREAM-INF:BANDWIDTH=3400000,AVERAGE-BANDWIDTH=3100000,RESOLUTION=1920x1080,"
             "FRAME-RATE=29.970,CODECS=\"avc1.640028,mp4a.40.2\"");
  BOOST_TEST(l[4] == "../demo.m3u8");
  BOOST_TEST(l[5] ==
             "#EXT-X-STREAM-INF:BANDWIDTH=2750000,AVERAGE-BANDWIDTH=2500000,RESOLUTION=1280x720,"
             "FRAME-RATE=30.000,CODECS=\"avc1.64001f,mp4a.40.2\"");
  BOOST_TEST(l[6] == "../demo_720p.m3u8");
}

BOOST_AUTO_TEST_CASE(unknown_attributes_are_left_out_and_a_variant_without_bandwidth_is_skipped) {
  const std::vector<Variant> variants{variant("../ll.m3u8", 900000), variant("../../x/ll.m3u8", 0)};
  const auto l = masterLines(hls::renderMasterPlaylist(9, variants));
  BOOST_REQUIRE_EQUAL(l.size(), 5u);
  BOOST_TEST(l[1] == "#EXT-X-VERSION:9");
  BOOST_TEST(l[3] == "#EXT-X-STREAM-INF:BANDWIDTH=900000");
  BOOST_TEST(l[4] == "../ll.m3u8");
}
