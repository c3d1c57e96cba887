// The danmaku renderer on a grey yuv420p canvas: a message draws in its lane and
// nowhere else, from the right edge at the time it was accepted; CJK, kana and
// Hangul make real glyphs; two messages take two lanes; a message leaves after
// (width + its width) / speed; max_on_screen bounds the picture and the waiting
// list. Also the layer's clock mapping and the feed's reading of room events.
#include "mixer/danmaku_renderer.hpp"

#include <boost/test/unit_test.hpp>
#include <cstring>
#include <string>

#include "av/filter_api.hpp"
#include "mixer/compositor.hpp"
#include "mixer/danmaku_feed.hpp"
#include "mixer/danmaku_layer.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using namespace mixer;

namespace {

constexpr const char* kFont = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
constexpr int kW = 320, kH = 180;

av::FramePtr greyFrame() {
  const av::FilterApi& api = mixer_testing::filterApi();
  av::FramePtr f = av::makeFrame(api);
  BOOST_REQUIRE(f);
  f->width = kW;
  f->height = kH;
  f->format = AV_PIX_FMT_YUV420P;
  BOOST_REQUIRE(api.av_frame_get_buffer(f.get(), 0) >= 0);
  Compositor::fill(f.get(), {0, 0, kW, kH}, 0x808080);
  return f;
}

DanmakuSpec spec(int lanes = 4, int maxOnScreen = 40) {
  DanmakuSpec s;
  s.fontSize = 24;
  s.speed = 200;
  s.lanes = lanes;
  s.maxOnScreen = maxOnScreen;
  return s;
}

std::unique_ptr<DanmakuRenderer> renderer(const DanmakuSpec& s) {
  std::string error;
  auto r = DanmakuRenderer::open(kW, kH, s, kFont, error);
  BOOST_REQUIRE_MESSAGE(r, error);
  return r;
}

// The luma pixels that differ between `a` and `b`, as a bounding box.
struct Box {
  int x0 = kW, y0 = kH, x1 = -1, y1 = -1;
  int count = 0;
};
Box diff(const AVFrame* a, const AVFrame* b) {
  Box box;
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      if (a->data[0][y * a->linesize[0] + x] != b->data[0][y * b->linesize[0] + x]) {
        box.x0 = std::min(box.x0, x);
        box.y0 = std::min(box.y0, y);
        box.x1 = std::max(box.x1, x);
        box.y1 = std::max(box.y1, y);
        ++box.count;
      }
  return box;
}

bool rowsChanged(const AVFrame* a, const AVFrame* b, int y0, int y1) {
  for (int y = y0; y < y1; ++y)
    if (std::memcmp(a->data[0] + y * a->linesize[0], b->data[0] + y * b->linesize[0], kW) != 0)
      return true;
  return false;
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_message_draws_in_its_lane_from_the_right_edge_and_nowhere_else) {
  auto r = renderer(spec());
  const av::FramePtr clean = greyFrame();
  av::FramePtr f = greyFrame();
  r->add({"hello 弹幕", 0xFFFFFF, 1000});
  r->draw(f.get(), 900);  // not accepted yet at this program time: nothing drawn
  BOOST_TEST(diff(f.get(), clean.get()).count == 0);
  BOOST_TEST(r->onScreen() == 0u);
  r->draw(f.get(), 1100);  // 100 ms after: 20 px in from the right edge
  const Box b = diff(f.get(), clean.get());
  BOOST_TEST(b.count > 20);
  BOOST_TEST(b.y0 >= 0);
  BOOST_TEST(b.y1 < r->laneHeight());
  BOOST_TEST(b.x0 >= kW - 22);
  BOOST_TEST(b.x1 == kW - 1);
  // White text with a dark outline: both brighter and darker pixels than the grey.
  int bright = 0, dark = 0;
  const uint8_t grey = clean->data[0][0];
  for (int y = 0; y < r->laneHeight(); ++y)
    for (int x = kW - 22; x < kW; ++x) {
      const uint8_t v = f->data[0][y * f->linesize[0] + x];
      bright += v > grey + 60;
      dark += v < grey - 60;
    }
  BOOST_TEST(bright > 0);
  BOOST_TEST(dark > 0);
}

BOOST_AUTO_TEST_CASE(a_late_message_is_placed_by_its_time_not_its_arrival) {
  auto r = renderer(spec());
  const av::FramePtr clean = greyFrame();
  av::FramePtr f = greyFrame();
  r->add({"late", 0xFF0000, 0});
  r->draw(f.get(), 500);  // accepted 500 ms ago: already 100 px in
  const Box b = diff(f.get(), clean.get());
  BOOST_TEST(b.x0 >= kW - 102);
  BOOST_TEST(b.x0 <= kW - 90);
  // Its colour: red text makes V (Cr) well above neutral somewhere in the lane.
  int red = 0;
  for (int y = 0; y < r->laneHeight() / 2; ++y)
    for (int x = 0; x < kW / 2; ++x) red += f->data[2][y * f->linesize[2] + x] > 180;
  BOOST_TEST(red > 0);
}

BOOST_AUTO_TEST_CASE(cjk_kana_and_hangul_make_glyphs) {
  auto r = renderer(spec());
  DanmakuGlyphs& g = r->glyphs();
  const DanmakuGlyph& missing = g.glyph(0x10FFFD);  // private use: the face has none
  const std::vector<uint8_t> missingCoverage = missing.coverage;
  for (char32_t cp : {U'弹', U'幕', U'か', U'한', U'A'}) {
    const DanmakuGlyph& glyph = g.glyph(cp);
    BOOST_TEST(glyph.width > 0);
    BOOST_TEST(glyph.advance > 0);
    int inked = 0;
    for (uint8_t c : glyph.coverage) inked += c > 128;
    BOOST_TEST(inked > 10);
    BOOST_TEST((glyph.coverage != missingCoverage));
  }
  const DanmakuRenderer::Sprite s = r->render("弹幕测试", 0xFFFFFF);
  BOOST_TEST(s.width >= 4 * 20);
  int opaque = 0;
  for (uint8_t a : s.alpha) opaque += a == 255;
  BOOST_TEST(opaque > 100);
  // The cache: the same code point again is no new FreeType render.
  const uint64_t misses = g.misses();
  r->render("弹幕", 0xFFFFFF);
  BOOST_TEST(g.misses() == misses);
}

BOOST_AUTO_TEST_CASE(two_messages_take_two_lanes) {
  auto r = renderer(spec());
  const av::FramePtr clean = greyFrame();
  av::FramePtr f = greyFrame();
  r->add({"first one", 0xFFFFFF, 0});
  r->add({"second", 0xFFFFFF, 10});
  r->draw(f.get(), 100);
  BOOST_TEST(r->onScreen() == 2u);
  const int lh = r->laneHeight();
  BOOST_TEST(rowsChanged(f.get(), clean.get(), 0, lh));
  BOOST_TEST(rowsChanged(f.get(), clean.get(), lh, 2 * lh));
  BOOST_TEST(!rowsChanged(f.get(), clean.get(), 2 * lh, kH));
  // Once the first has fully entered (and a gap), lane 0 takes the next one.
  const int w = r->render("first one", 0xFFFFFF).width;
  const int64_t free = (w + 12) * 1000 / 200 + 1;
  r->add({"third", 0xFFFFFF, free});
  av::FramePtr g = greyFrame();
  r->draw(g.get(), free + 50);
  BOOST_TEST(r->onScreen() == 3u);
  BOOST_TEST(!rowsChanged(g.get(), clean.get(), 2 * lh, kH));
}

BOOST_AUTO_TEST_CASE(a_message_leaves_after_width_plus_its_width_over_speed) {
  auto r = renderer(spec());
  const int w = r->render("bye", 0xFFFFFF).width;
  r->add({"bye", 0xFFFFFF, 0});
  const int64_t gone = (kW + w) * 1000 / 200;
  const av::FramePtr clean = greyFrame();
  av::FramePtr f = greyFrame();
  r->draw(f.get(), gone - 30);  // its last few px still on the left
  BOOST_TEST(r->onScreen() == 1u);
  BOOST_TEST(diff(f.get(), clean.get()).x1 < 10);
  av::FramePtr g = greyFrame();
  r->draw(g.get(), gone + 1);
  BOOST_TEST(r->onScreen() == 0u);
  BOOST_TEST(diff(g.get(), clean.get()).count == 0);
}

BOOST_AUTO_TEST_CASE(max_on_screen_bounds_the_picture_and_drops_the_oldest_waiting) {
  auto r = renderer(spec(/*lanes=*/6, /*maxOnScreen=*/3));
  for (int i = 0; i < 5; ++i) r->add({"m" + std::to_string(i), 0xFFFFFF, i});
  BOOST_TEST(r->waiting() == 3u);  // m0 and m1 dropped
  BOOST_TEST(r->dropped() == 2u);
  av::FramePtr f = greyFrame();
  r->draw(f.get(), 100);
  BOOST_TEST(r->onScreen() == 3u);
  for (int i = 5; i < 9; ++i) r->add({"m" + std::to_string(i), 0xFFFFFF, 100 + i});
  BOOST_TEST(r->waiting() == 3u);  // m5 dropped: the oldest waiting
  BOOST_TEST(r->dropped() == 3u);
  r->draw(f.get(), 200);
  BOOST_TEST(r->onScreen() == 3u);  // full: the rest wait
  BOOST_TEST(r->shown() == 3u);
  r->draw(f.get(), 5000);  // the first three are gone: the waiting ones come in
  BOOST_TEST(r->onScreen() == 3u);
  BOOST_TEST(r->waiting() == 0u);
  BOOST_TEST(r->shown() == 6u);
}

BOOST_AUTO_TEST_CASE(a_font_that_cannot_be_read_is_an_error) {
  std::string error;
  BOOST_TEST(!DanmakuRenderer::open(kW, kH, spec(), "/nonexistent/font.ttf", error));
  BOOST_TEST(error.find("/nonexistent/font.ttf") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_layer_maps_the_monotonic_clock_to_program_time) {
  // Tick pts 5000 due at monotonic 80 000 ms: a message accepted at 79 960 ms is pts 4960.
  BOOST_TEST(DanmakuLayer::ptsOf(79'960, 5000, 80'000'000'000) == 4960);
  BOOST_TEST(DanmakuLayer::ptsOf(80'010, 5000, 80'000'000'000) == 5010);
}

BOOST_AUTO_TEST_CASE(the_feed_reads_text_messages_and_their_colour) {
  auto item = DanmakuFeed::parse(
      R"({"event":"message","seq":3,"streamTime":1234,"msgType":"text","from":{"id":"u"},"body":{"text":"你好 world"}})");
  BOOST_REQUIRE(item);
  BOOST_TEST(item->text == "你好 world");
  BOOST_TEST(item->rgb == 0xFFFFFFu);
  item = DanmakuFeed::parse(
      R"({"msgType":"text","body":{"text":"red","cloudCustomData":"{\"color\":\"#FF2000\"}"}})");
  BOOST_REQUIRE(item);
  BOOST_TEST(item->rgb == 0xFF2000u);
  item = DanmakuFeed::parse(R"({"msgType":"text","body":{"text":"x","cloudCustomData":"blue"}})");
  BOOST_REQUIRE(item);
  BOOST_TEST(item->rgb == 0xFFFFFFu);
  BOOST_TEST(!DanmakuFeed::parse(R"({"msgType":"gift","body":{"gift":"rose"}})"));
  BOOST_TEST(!DanmakuFeed::parse(R"({"msgType":"text","body":{"text":""}})"));
  BOOST_TEST(!DanmakuFeed::parse(R"({"event":"status","status":2})"));
  BOOST_TEST(!DanmakuFeed::parse("{not json"));
}

BOOST_AUTO_TEST_CASE(a_long_text_is_cut_to_twice_the_canvas) {
  auto r = renderer(spec());
  std::string text;
  for (int i = 0; i < 200; ++i) text += "弹";
  const DanmakuRenderer::Sprite s = r->render(text, 0xFFFFFF);
  BOOST_TEST(s.width <= 2 * kW);
  BOOST_TEST(s.height == r->laneHeight());
  // Bytes that are not UTF-8 draw as U+FFFD, never read past the text.
  const DanmakuRenderer::Sprite bad = r->render(std::string("a\xE5\xBC", 3), 0xFFFFFF);
  BOOST_TEST(bad.width > 0);
}
