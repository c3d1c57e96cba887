#include "mixer/ladder_planner.hpp"

#include <boost/test/unit_test.hpp>

using mixer::LadderPlan;
using mixer::LadderPlanner;
using mixer::PipelineSpec;
using mixer::RungSpec;
using mixer::SourceVideo;

namespace {

PipelineSpec spec(std::vector<RungSpec> rungs) {
  PipelineSpec s;
  s.rungs = std::move(rungs);
  return s;
}

PipelineSpec defaultLadder() {
  return spec({{720, 0, 30, 2500, "", {}}, {480, 0, 30, 1200, "", {}}, {360, 0, 30, 700, "", {}}});
}

LadderPlan plan(const SourceVideo& source, const PipelineSpec& s, int cpus = 2) {
  std::string error;
  auto p = LadderPlanner::plan(source, s, cpus, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  return *p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(widths_keep_the_aspect_ratio_and_are_even) {
  LadderPlan p = plan({1920, 1080, 30}, defaultLadder());
  BOOST_REQUIRE(p.rungs.size() == 3u);
  BOOST_TEST(p.rungs[0].width == 1280);
  BOOST_TEST(p.rungs[1].width == 854);
  BOOST_TEST(p.rungs[2].width == 640);
  BOOST_TEST(p.rungs[1].label() == "480p");
  BOOST_TEST(LadderPlanner::widthFor(360, 1440, 1080) == 480);  // 4:3
  BOOST_TEST(LadderPlanner::widthFor(240, 1080, 1920) == 136);  // portrait: 135 -> 136
  BOOST_TEST(p.dropped.empty());
}

BOOST_AUTO_TEST_CASE(cascade_each_rung_from_the_next_larger_one) {
  // Listed in any order, planned largest first.
  LadderPlan p = plan(
      {1920, 1080, 30},
      spec({{360, 0, 30, 700, "", {}}, {720, 0, 30, 2500, "", {}}, {480, 0, 30, 1200, "", {}}}));
  BOOST_REQUIRE(p.rungs.size() == 3u);
  BOOST_TEST(p.rungs[0].height == 720);
  BOOST_TEST(p.rungs[0].parent == -1);
  BOOST_TEST(p.rungs[0].specIndex == 1u);
  BOOST_TEST(p.rungs[1].height == 480);
  BOOST_TEST(p.rungs[1].parent == 0);
  BOOST_TEST(p.rungs[2].height == 360);
  BOOST_TEST(p.rungs[2].parent == 1);
  BOOST_TEST(p.rungs[2].specIndex == 0u);
}

BOOST_AUTO_TEST_CASE(rungs_at_or_above_the_source_height_are_dropped_with_a_reason) {
  LadderPlan p = plan({1280, 720, 30}, defaultLadder());
  BOOST_REQUIRE(p.rungs.size() == 2u);
  BOOST_TEST(p.rungs[0].height == 480);
  BOOST_TEST(p.rungs[0].parent == -1);
  BOOST_REQUIRE(p.dropped.size() == 1u);
  BOOST_TEST(p.dropped[0] == "720p: not below the source's 720 lines (no upscale)");
  std::string error;
  BOOST_TEST(!LadderPlanner::plan({640, 360, 30}, defaultLadder(), 2, error));
  BOOST_TEST(error == "no rung below the source's 360 lines");
  BOOST_TEST(!LadderPlanner::plan({0, 0, 30}, defaultLadder(), 2, error));
  BOOST_TEST(error == "source size 0x0 unknown");
}

BOOST_AUTO_TEST_CASE(fps_is_capped_at_the_source_and_lower_fps_needs_a_node) {
  auto s =
      spec({{720, 0, 60, 2500, "", {}}, {480, 0, 30, 1200, "", {}}, {360, 0, 15, 500, "", {}}});
  LadderPlan p = plan({1920, 1080, 30}, s);
  BOOST_TEST(p.rungs[0].fps == 30);
  BOOST_TEST(!p.rungs[0].reducesFps);
  BOOST_TEST(p.rungs[1].fps == 30);
  BOOST_TEST(!p.rungs[1].reducesFps);
  BOOST_TEST(p.rungs[2].fps == 15);
  BOOST_TEST(p.rungs[2].reducesFps);
  // 30 of a 29.97 source: the source's rate, no fps node.
  LadderPlan ntsc = plan({1920, 1080, 30000.0 / 1001}, s);
  BOOST_TEST(!ntsc.rungs[1].reducesFps);
  BOOST_TEST(ntsc.rungs[1].fps == 30000.0 / 1001);
  // An unknown source rate counts as 30.
  LadderPlan unknown = plan({1920, 1080, 0}, s);
  BOOST_TEST(unknown.sourceFps == 30);
  BOOST_TEST(unknown.rungs[0].fps == 30);
}

BOOST_AUTO_TEST_CASE(gop_in_frames_at_25_30_and_60_fps) {
  PipelineSpec s = spec({{720, 0, 60, 2500, "", {}}});
  s.gopMs = 2000;
  BOOST_TEST(plan({1920, 1080, 25}, s).rungs[0].gopFrames == 50);
  BOOST_TEST(plan({1920, 1080, 30}, s).rungs[0].gopFrames == 60);
  BOOST_TEST(plan({1920, 1080, 60}, s).rungs[0].gopFrames == 120);
  BOOST_TEST(plan({1920, 1080, 30000.0 / 1001}, s).rungs[0].gopFrames == 60);
  auto x = plan({1920, 1080, 30}, s).rungs[0].x264;
  BOOST_TEST(x.keyintMin == 60);
  BOOST_TEST(x.gop == 600);
  BOOST_TEST(x.scThreshold == 0);
  BOOST_TEST(x.forcedIdr);
}

BOOST_AUTO_TEST_CASE(x264_threads_rates_preset_and_tune) {
  PipelineSpec s = defaultLadder();
  s.rungs[0].preset = "veryfast";
  s.rungs[2].tune = "";
  LadderPlan p = plan({1920, 1080, 30}, s, 2);
  for (const auto& r : p.rungs) BOOST_TEST(r.x264.threads == 1);  // 1 each on 2 CPUs
  BOOST_TEST(plan({1920, 1080, 30}, s, 8).rungs[0].x264.threads == 2);
  BOOST_TEST(plan({1920, 1080, 30}, s, 0).rungs[0].x264.threads == 1);
  const auto& x = p.rungs[0].x264;
  BOOST_TEST(x.bitRate == 2500000);
  BOOST_TEST(x.maxRate == 2750000);
  BOOST_TEST(x.bufSize == 3750000);
  BOOST_TEST(x.preset == "veryfast");
  BOOST_TEST(x.tune == "zerolatency");
  BOOST_TEST(p.rungs[1].x264.preset == "superfast");
  BOOST_TEST(p.rungs[2].x264.tune == "");
}

BOOST_AUTO_TEST_CASE(an_explicit_width_is_kept) {
  LadderPlan p = plan({1920, 1080, 30}, spec({{480, 640, 30, 1000, "", {}}}));
  BOOST_TEST(p.rungs[0].width == 640);
}

BOOST_AUTO_TEST_CASE(a_source_size_rung_keeps_the_source_size_and_its_label) {
  RungSpec webrtc{0, 0, 60, 1500, "", {}};
  webrtc.sourceSize = true;
  webrtc.label = "webrtc";
  LadderPlan p = plan({854, 480, 25}, spec({webrtc}));
  BOOST_REQUIRE(p.rungs.size() == 1u);
  BOOST_TEST(p.rungs[0].width == 854);
  BOOST_TEST(p.rungs[0].height == 480);
  BOOST_TEST(p.rungs[0].fps == 25);
  BOOST_TEST(!p.rungs[0].reducesFps);
  BOOST_TEST(p.rungs[0].label() == "webrtc");
}
