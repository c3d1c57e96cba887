#include "mixer/filter_graph.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "av/av_libraries.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "mixer/clock_zone.hpp"
#include "mixer/option_escape.hpp"
#include "mixer/overlay_set.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using mixer::FilterGraph;
using mixer::GraphAssets;
using mixer::GraphSource;
using mixer::GraphSpec;
using mixer::InputFormat;
using mixer::LadderPlan;
using mixer::LadderPlanner;
using mixer::OverlaySpec;
using mixer::OverlayType;
using mixer::PipelineSpec;

namespace {

// Debian's fonts-dejavu-core (scripts/packages.txt, [test]).
constexpr const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
constexpr int kW = 1920;
constexpr int kH = 1080;
constexpr mixer::FrameSize kTop{1280, 720};
// Background of the synthetic source: a dark grey.
constexpr int kBgY = 60;

// One filter table for the whole test process (av::Libraries is owned by main).
const av::FilterApi& api() {
  return mixer_testing::filterApi();
}

LadderPlan plan() {
  PipelineSpec spec;
  spec.rungs = {{720, 0, 30, 2500, "", {}}, {480, 0, 30, 1200, "", {}}, {360, 0, 30, 700, "", {}}};
  std::string error;
  auto p = LadderPlanner::plan({kW, kH, 30}, spec, 2, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  return *p;
}

InputFormat input() {
  return {kW, kH, AV_PIX_FMT_YUV420P, {1, 1000}, {1, 1}};
}

std::unique_ptr<FilterGraph> graph(const std::vector<OverlaySpec>& overlays, std::string& error,
                                   std::string font = kFont, GraphAssets assets = {}) {
  GraphSource source;
  source.width = kW;
  source.height = kH;
  assets.fonts = {"", std::move(font)};
  assets.images["logo"] = {64, 48};
  auto spec = GraphSpec::build(source, plan(), overlays, assets, error);
  if (!spec) return nullptr;
  return FilterGraph::build(api(), *spec, input(), error);
}

std::unique_ptr<FilterGraph> graph(const std::vector<OverlaySpec>& overlays = {}) {
  std::string error;
  auto g = graph(overlays, error);
  BOOST_REQUIRE_MESSAGE(g, error);
  return g;
}

av::FramePtr frame(int width, int height, AVPixelFormat format) {
  av::FramePtr f = av::makeFrame(api());
  f->width = width;
  f->height = height;
  f->format = format;
  BOOST_REQUIRE(api().av_frame_get_buffer(f.get(), 0) == 0);
  return f;
}

// A flat 1920x1080 yuv420p frame.
av::FramePtr source(int64_t pts, int y = kBgY) {
  av::FramePtr f = frame(kW, kH, AV_PIX_FMT_YUV420P);
  for (int p = 0; p < 3; ++p) {
    int rows = p == 0 ? kH : kH / 2;
    int cols = p == 0 ? kW : kW / 2;
    for (int r = 0; r < rows; ++r) memset(f->data[p] + r * f->linesize[p], p == 0 ? y : 128, cols);
  }
  f->pts = pts;
  return f;
}

av::FramePtr pullOne(FilterGraph& g, size_t rung) {
  av::FramePtr out = av::makeFrame(api());
  std::string error;
  auto r = g.pull(rung, out.get(), error);
  BOOST_REQUIRE_MESSAGE(r == FilterGraph::Pull::Frame, "rung " << rung << ": " << int(r) << error);
  return out;
}

av::FramePtr pushPull(FilterGraph& g, int64_t pts) {
  std::string error;
  BOOST_REQUIRE_MESSAGE(g.push(source(pts).get(), error), error);
  return pullOne(g, 0);
}

struct Rect {
  int x, y, w, h;
  bool contains(int px, int py) const { return px >= x && px < x + w && py >= y && py < y + h; }
};

// Mean of plane `p` inside (or outside) `r`, given in luma pixels.
double mean(const AVFrame* f, int p, Rect r, bool inside) {
  int shift = p == 0 ? 0 : 1;
  double sum = 0;
  long n = 0;
  for (int y = 0; y < (f->height >> shift); ++y)
    for (int x = 0; x < (f->width >> shift); ++x) {
      if (r.contains(x << shift, y << shift) != inside) continue;
      sum += f->data[p][y * f->linesize[p] + x];
      ++n;
    }
  return n ? sum / n : -1;
}

OverlaySpec text(std::string id, std::string value) {
  OverlaySpec o;
  o.id = std::move(id);
  o.type = OverlayType::Text;
  o.text = std::move(value);
  o.x = 100;
  o.y = 100;
  o.size = 48;
  return o;
}

std::string option(FilterGraph& g, const char* instance, const char* key, bool& isNull) {
  AVFilterContext* ctx = g.filter(instance);
  BOOST_REQUIRE_MESSAGE(ctx, instance);
  uint8_t* value = nullptr;
  BOOST_REQUIRE(api().av_opt_get(ctx, key, AV_OPT_SEARCH_CHILDREN | AV_OPT_ALLOW_NULL, &value) >=
                0);
  isNull = value == nullptr;
  std::string out = value ? reinterpret_cast<char*>(value) : "";
  api().av_free(value);
  return out;
}

bool send(FilterGraph& g, const mixer::OverlayCommand& c, std::string& error) {
  // NOTE: FilterGraph keeps FFmpeg 5.1's drawtext reinit leak out of LeakSanitizer's
  // report (filter_graph.cpp).
  return g.sendCommand(c.target, c.command, c.argument, error);
}

}  // namespace

BOOST_AUTO_TEST_CASE(builds_the_cascade_and_outputs_each_size) {
  auto g = graph();
  BOOST_REQUIRE(g->rungs() == 3u);
  const int sizes[3][2] = {{1280, 720}, {854, 480}, {640, 360}};
  for (int64_t pts : {0, 33, 67}) {
    std::string error;
    BOOST_REQUIRE_MESSAGE(g->push(source(pts).get(), error), error);
    for (size_t r = 0; r < 3; ++r) {
      auto out = pullOne(*g, r);
      BOOST_TEST(out->width == sizes[r][0]);
      BOOST_TEST(out->height == sizes[r][1]);
      BOOST_TEST(out->format == AV_PIX_FMT_YUV420P);
      BOOST_TEST(out->pts == pts);
      BOOST_TEST(std::abs(mean(out.get(), 0, {0, 0, 0, 0}, false) - kBgY) < 1.0);
    }
  }
  av::FramePtr out = av::makeFrame(api());
  std::string error;
  BOOST_TEST((g->pull(0, out.get(), error) == FilterGraph::Pull::Again));
  BOOST_REQUIRE_MESSAGE(g->flush(error), error);
  for (size_t r = 0; r < 3; ++r)
    BOOST_TEST((g->pull(r, out.get(), error) == FilterGraph::Pull::End));
  BOOST_TEST(!g->push(source(100).get(), error));
  BOOST_TEST((g->pull(3, out.get(), error) == FilterGraph::Pull::Failed));
}

BOOST_AUTO_TEST_CASE(a_frame_of_another_size_is_refused) {
  auto g = graph();
  std::string error;
  av::FramePtr small = frame(1280, 720, AV_PIX_FMT_YUV420P);
  BOOST_TEST(!g->push(small.get(), error));
  BOOST_TEST(error.find("buffer@src") != std::string::npos);
  InputFormat wrong = input();
  wrong.width = 1280;
  GraphSource source;
  source.width = kW;
  source.height = kH;
  auto spec = GraphSpec::build(source, plan(), {}, {}, error);
  BOOST_REQUIRE(spec);
  BOOST_TEST(!FilterGraph::build(api(), *spec, wrong, error));
  BOOST_TEST(error.find("buffer@src: the graph is for 1920x1080 yuv420p") == 0u, error);
}

BOOST_AUTO_TEST_CASE(reinit_with_hostile_text_sets_only_text) {
  auto g = graph({text("title", "hello")});
  pushPull(*g, 0);
  bool isNull = false;
  BOOST_TEST(option(*g, "drawtext@ov_title", "text", isNull) == "hello");
  BOOST_TEST(option(*g, "drawtext@ov_title", "expansion", isNull) == "0");  // EXP_NONE

  const std::string hostile =
      "a:textfile=/etc/passwd:x=0 'q' \"d\" \\n\\ %{localtime} k=v,s;[in] \n2nd line";
  // The production path: OverlaySet turns the new text into an escaped "reinit".
  mixer::OverlaySet set(kTop, {text("title", "hello")});
  auto change = set.update({text("title", hostile)});
  BOOST_REQUIRE(!change.needsRebuild);
  BOOST_REQUIRE(change.commands.size() == 1u);
  BOOST_TEST(change.commands[0].argument.find(mixer::escapeOptionValue(hostile)) !=
             std::string::npos);
  std::string error;
  for (const auto& c : change.commands) BOOST_REQUIRE_MESSAGE(send(*g, c, error), error);

  BOOST_TEST(option(*g, "drawtext@ov_title", "text", isNull) == hostile);
  BOOST_TEST(option(*g, "drawtext@ov_title", "textfile", isNull) == "");
  BOOST_TEST(isNull);
  BOOST_TEST(option(*g, "drawtext@ov_title", "x", isNull) == "100");
  BOOST_TEST(option(*g, "drawtext@ov_title", "expansion", isNull) == "0");  // EXP_NONE
  auto out = pushPull(*g, 33);
  BOOST_TEST(out->pts == 33);
}

BOOST_AUTO_TEST_CASE(logo_region_has_its_colour) {
  OverlaySpec logo;
  logo.id = "logo";
  logo.type = OverlayType::Image;
  logo.file = "logo.png";
  logo.x = 100;
  logo.y = 60;
  auto g = graph({logo});
  std::string error;
  BOOST_TEST(!g->push(source(0).get(), error));  // no image yet
  BOOST_TEST(error == "overlay logo: no image set");

  av::FramePtr magenta = frame(64, 48, AV_PIX_FMT_RGBA);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) {
      uint8_t* px = magenta->data[0] + y * magenta->linesize[0] + x * 4;
      px[0] = 255, px[1] = 0, px[2] = 255, px[3] = 255;
    }
  av::FramePtr wrong = frame(32, 48, AV_PIX_FMT_RGBA);
  BOOST_TEST(!g->setImage("logo", wrong.get(), error));
  BOOST_REQUIRE_MESSAGE(g->setImage("logo", magenta.get(), error), error);
  BOOST_TEST(!g->setImage("logo", magenta.get(), error));  // once per graph

  // Magenta in BT.601 limited range: Y 106, U 202, V 222.
  const double expected[3] = {16 + 65.481 + 24.966, 128 - 37.797 + 112, 128 + 112 - 18.214};
  const double background[3] = {kBgY, 128, 128};
  for (int64_t pts : {0, 33, 67}) {  // repeated after the image input's EOF
    auto out = pushPull(*g, pts);
    Rect inner{102, 62, 60, 44};  // 2 px inside the logo, clear of chroma edges
    Rect outer{98, 58, 68, 52};   // 2 px around it
    for (int p = 0; p < 3; ++p) {
      BOOST_TEST(std::abs(mean(out.get(), p, inner, true) - expected[p]) < 6.0, "plane " << p);
      BOOST_TEST(std::abs(mean(out.get(), p, outer, false) - background[p]) < 0.5, "plane " << p);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_text_change_changes_only_the_text_region) {
  auto g = graph({text("title", "AAAA")});
  auto before = pushPull(*g, 0);
  mixer::OverlaySet set(kTop, {text("title", "AAAA")});
  std::string error;
  for (const auto& c : set.update({text("title", "WWWW")}).commands)
    BOOST_REQUIRE_MESSAGE(send(*g, c, error), error);
  auto after = pushPull(*g, 33);
  // 4 glyphs of 48 px from (100,100): well inside 100..340 x 90..170.
  Rect region{90, 90, 250, 80};
  long changedInside = 0, changedOutside = 0;
  for (int p = 0; p < 3; ++p) {
    int shift = p == 0 ? 0 : 1;
    for (int y = 0; y < (kTop.height >> shift); ++y)
      for (int x = 0; x < (kTop.width >> shift); ++x) {
        bool differs = before->data[p][y * before->linesize[p] + x] !=
                       after->data[p][y * after->linesize[p] + x];
        if (!differs) continue;
        (region.contains(x << shift, y << shift) ? changedInside : changedOutside)++;
      }
  }
  BOOST_TEST(changedInside > 500);
  BOOST_TEST(changedOutside == 0);
  // Text drawn at all: the region is brighter than the background.
  BOOST_TEST(mean(after.get(), 0, region, true) > kBgY + 10);
}

BOOST_AUTO_TEST_CASE(a_bad_option_names_the_node) {
  std::string error;
  auto g = graph({text("title", "x")}, error, "/nonexistent/no-such-font.ttf");
  BOOST_TEST(!g);
  BOOST_TEST(error.find("drawtext@ov_title") == 0u, error);
  BOOST_TEST(error.find("/nonexistent/no-such-font.ttf") != std::string::npos, error);

  auto ok = graph({text("title", "x")});
  BOOST_TEST(!ok->sendCommand("drawtext@ov_other", "reinit", "text=y", error));
  BOOST_TEST(error.find("drawtext@ov_other") == 0u, error);
  BOOST_TEST(!ok->sendCommand("all", "reinit", "text=y", error));  // no wildcard targets
  BOOST_TEST(!send(*ok, {"drawtext@ov_title", "reinit", "nosuchoption=1"}, error));
  BOOST_TEST(error.find("drawtext@ov_title: reinit: ") == 0u, error);
  bool isNull = false;
  BOOST_TEST(option(*ok, "drawtext@ov_title", "text", isNull) == "x");  // left as it was
  pushPull(*ok, 0);
}

namespace {

// The top rung of a graph with `overlay`, clock `state` (if a clock), for a frame at `pts`.
av::FramePtr drawn(const OverlaySpec& overlay, int64_t pts, const mixer::ClockState& state = {}) {
  GraphAssets assets;
  assets.clocks[overlay.id] = state;
  std::string error;
  auto g = graph({overlay}, error, kFont, assets);
  BOOST_REQUIRE_MESSAGE(g, error);
  return pushPull(*g, pts);
}

bool samePixels(const AVFrame* a, const AVFrame* b) {
  for (int p = 0; p < 3; ++p) {
    int shift = p == 0 ? 0 : 1;
    for (int y = 0; y < (a->height >> shift); ++y)
      if (memcmp(a->data[p] + y * a->linesize[p], b->data[p] + y * b->linesize[p],
                 a->width >> shift) != 0)
        return false;
  }
  return true;
}

OverlaySpec clock(std::string format, std::string tz) {
  OverlaySpec o = text("clock", "");
  o.type = OverlayType::Clock;
  o.text.clear();
  o.format = std::move(format);
  o.tz = std::move(tz);
  return o;
}

mixer::ClockZone zone(const std::string& name) {
  std::string error;
  auto z = mixer::ClockZone::parse(name, error);
  BOOST_REQUIRE_MESSAGE(z, error);
  return *z;
}

// Where text("…") at (100,100), 48 px, draws.
constexpr Rect kTextRegion{90, 90, 900, 80};

}  // namespace

BOOST_AUTO_TEST_CASE(a_clock_draws_its_zones_time_through_drawtexts_expansion) {
  // pts 0 at 2026-12-07 11:59:55 UTC; the frame at pts 5000 is 12:00:00 UTC, 21:00 in
  // Tokyo. The format carries every character drawtext's argument parser treats
  // specially (: } ' \ and spaces), and %Z %z, which gmtime would get wrong.
  const int64_t pts0Ms = 1'796'644'795'000;
  OverlaySpec c = clock("[%H:%M:%S] {x} 'q' \\ %% %Z %z", "Asia/Tokyo");
  mixer::ClockState state = zone("Asia/Tokyo").stateAt(pts0Ms, pts0Ms / 1000);
  auto fromClock = drawn(c, 5000, state);
  auto literal = drawn(text("clock", "[21:00:00] {x} 'q' \\ % JST +0900"), 5000);
  BOOST_TEST(mean(literal.get(), 0, kTextRegion, true) > kBgY + 10);  // drawn at all
  BOOST_TEST(samePixels(fromClock.get(), literal.get()));
  // One second later the same graph draws the next second, with no command.
  GraphAssets assets;
  assets.clocks["clock"] = state;
  std::string error;
  auto g = graph({c}, error, kFont, assets);
  BOOST_REQUIRE_MESSAGE(g, error);
  BOOST_TEST(samePixels(pushPull(*g, 5000).get(), literal.get()));
  auto next = drawn(text("clock", "[21:00:01] {x} 'q' \\ % JST +0900"), 6000);
  BOOST_TEST(samePixels(pushPull(*g, 6000).get(), next.get()));
  BOOST_TEST(!samePixels(next.get(), literal.get()));
}

BOOST_AUTO_TEST_CASE(a_clock_reinits_once_at_its_zones_transition) {
  // pts 0 two seconds before Berlin's 2026 spring transition (01:00:00 UTC).
  const int64_t transition = 1'774'746'000;
  const int64_t pts0Ms = (transition - 2) * 1000;
  mixer::ClockZone berlin = zone("Europe/Berlin");
  OverlaySpec c = clock("%H:%M:%S %Z", "Europe/Berlin");
  GraphAssets assets;
  assets.clocks["clock"] = berlin.stateAt(pts0Ms, transition - 2);
  BOOST_TEST(mixer::nextClockReinit(assets).value_or(0) == transition);
  std::string error;
  auto g = graph({c}, error, kFont, assets);
  BOOST_REQUIRE_MESSAGE(g, error);
  BOOST_TEST(
      samePixels(pushPull(*g, 1000).get(), drawn(text("clock", "01:59:59 CET"), 1000).get()));

  mixer::ClockState summer = berlin.stateAt(pts0Ms, transition);
  BOOST_REQUIRE(send(*g, mixer::OverlaySet::clockCommand(c, summer), error));
  bool isNull = false;
  BOOST_TEST(option(*g, "drawtext@ov_clock", "text", isNull) == mixer::clockText(c.format, summer));
  BOOST_TEST(option(*g, "drawtext@ov_clock", "expansion", isNull) == "1");  // EXP_NORMAL
  BOOST_TEST(option(*g, "drawtext@ov_clock", "x", isNull) == "100");
  BOOST_TEST(
      samePixels(pushPull(*g, 2000).get(), drawn(text("clock", "03:00:00 CEST"), 2000).get()));
}
