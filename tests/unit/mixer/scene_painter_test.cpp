// ScenePainter and the compositor's blend: colour layers in a 3x3 grid land in their
// cells; opacity 0.5 of one colour over another is their mean; z puts a layer on
// top; an image layer (PNG) is drawn with its alpha; an input layer takes the
// picture its decoder scaled for that size.
#include "mixer/scene_painter.hpp"

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"
#include "mixer/compositor.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using namespace mixer;

namespace {

av::Libraries& painterLibs() {
  static av::Libraries l;
  return l;
}

av::FramePtr yuvFrame(int w, int h, AVPixelFormat format = AV_PIX_FMT_YUV420P) {
  const av::FilterApi& api = mixer_testing::filterApi();
  av::FramePtr f = av::makeFrame(api);
  f->width = w;
  f->height = h;
  f->format = format;
  BOOST_REQUIRE(api.av_frame_get_buffer(f.get(), 0) >= 0);
  return f;
}

// The pixel's Y, U, V at (x, y).
Compositor::Yuv at(const AVFrame* f, int x, int y) {
  return {f->data[0][y * f->linesize[0] + x], f->data[1][(y / 2) * f->linesize[1] + x / 2],
          f->data[2][(y / 2) * f->linesize[2] + x / 2]};
}

bool same(Compositor::Yuv got, Compositor::Yuv want, int tolerance = 2) {
  return std::abs(got.y - want.y) <= tolerance && std::abs(got.u - want.u) <= tolerance &&
         std::abs(got.v - want.v) <= tolerance;
}

struct Painted {
  std::shared_ptr<CompositorState> state;
  std::unique_ptr<ScenePainter> painter;
  explicit Painted(size_t inputs, std::string assets = ".") {
    CompositorSettings s;
    s.key = "test/scene";
    s.width = 320;
    s.height = 180;
    s.assetsDir = std::move(assets);
    state = std::make_shared<CompositorState>(
        s, painterLibs(), [](MixerEvent) { return true; }, inputs, Scene{});
    painter = std::make_unique<ScenePainter>(*state, mixer_testing::filterApi());
  }
};

LayerSpec colour(uint32_t rgb, FracRect rect = {}, double opacity = 1, int z = 0) {
  LayerSpec l;
  l.source = LayerSource::Color;
  l.rgb = rgb;
  l.rect = rect;
  l.opacity = opacity;
  l.z = z;
  return l;
}

}  // namespace

BOOST_AUTO_TEST_CASE(half_opacity_is_the_mean_of_two_colours) {
  const uint32_t a = 0xFF0000, b = 0x0000FF;
  const Compositor::Yuv ya = Compositor::toYuv(a), yb = Compositor::toYuv(b);
  const Compositor::Yuv mean{static_cast<uint8_t>((ya.y + yb.y + 1) / 2),
                             static_cast<uint8_t>((ya.u + yb.u + 1) / 2),
                             static_cast<uint8_t>((ya.v + yb.v + 1) / 2)};
  // A colour layer over another.
  av::FramePtr f = yuvFrame(64, 36);
  Compositor::fill(f.get(), {0, 0, 64, 36}, a);
  Compositor::fillBlend(f.get(), {0, 0, 64, 36}, b, 0.5);
  BOOST_TEST(same(at(f.get(), 10, 10), mean));
  // A picture over another (the fade's blend).
  av::FramePtr g = yuvFrame(64, 36), top = yuvFrame(64, 36);
  Compositor::fill(g.get(), {0, 0, 64, 36}, a);
  Compositor::fill(top.get(), {0, 0, 64, 36}, b);
  Compositor::blend(g.get(), top.get(), 0, 0, 0.5);
  BOOST_TEST(same(at(g.get(), 33, 17), mean));
  // Opacity 0 leaves it, 1 copies it, 0.25 is a quarter of the way.
  Compositor::blend(g.get(), top.get(), 0, 0, 0.0);
  BOOST_TEST(same(at(g.get(), 33, 17), mean));
  Compositor::fill(g.get(), {0, 0, 64, 36}, a);
  Compositor::blend(g.get(), top.get(), 0, 0, 0.25);
  BOOST_TEST(std::abs(at(g.get(), 5, 5).y - (ya.y * 3 + yb.y) / 4.0) <= 2);
  Compositor::blend(g.get(), top.get(), 0, 0, 1.0);
  BOOST_TEST(same(at(g.get(), 5, 5), yb, 0));
}

BOOST_AUTO_TEST_CASE(nine_colour_layers_fill_a_3x3_grid) {
  Painted p(0);
  const uint32_t colours[9] = {0xFF0000, 0x00FF00, 0x0000FF, 0xFFFF00, 0x00FFFF,
                               0xFF00FF, 0xFFFFFF, 0x808080, 0x000080};
  SceneSpec spec;
  spec.layout.kind = LayoutKind::Grid3x3;
  std::vector<LayerSpec> layers = spec.resolved(9);
  for (size_t i = 0; i < 9; ++i) layers[i] = colour(colours[i], layers[i].rect);
  av::FramePtr f = yuvFrame(320, 180);
  p.painter->paint(f.get(), layers, {}, Scene{});
  const auto cells = LayoutGeometry::cells(spec.layout, 320, 180);
  for (size_t i = 0; i < 9; ++i) {
    const PixelRect& c = cells[i];
    // Every corner of every cell has its colour: no gap, no overlap.
    for (auto [x, y] : {std::pair{c.x, c.y},
                        {c.x + c.w - 1, c.y},
                        {c.x, c.y + c.h - 1},
                        {c.x + c.w - 1, c.y + c.h - 1}})
      BOOST_TEST(same(at(f.get(), x, y), Compositor::toYuv(colours[i]), 0),
                 "cell " << i << " at " << x << "," << y);
  }
}

BOOST_AUTO_TEST_CASE(opacity_and_z_over_what_is_below) {
  Painted p(0);
  SceneSpec spec;
  spec.layers = {colour(0x00FF00, {0.5, 0, 0.5, 1}, 1.0, 2),  // on top: z 2
                 colour(0xFF0000),                            // the background
                 colour(0x0000FF, {0, 0, 0.5, 1}, 0.5)};      // half over the red
  av::FramePtr f = yuvFrame(320, 180);
  p.painter->paint(f.get(), spec.resolved(0), {}, Scene{});
  const Compositor::Yuv r = Compositor::toYuv(0xFF0000), b = Compositor::toYuv(0x0000FF);
  BOOST_TEST(same(at(f.get(), 80, 90), {static_cast<uint8_t>((r.y + b.y + 1) / 2),
                                        static_cast<uint8_t>((r.u + b.u + 1) / 2),
                                        static_cast<uint8_t>((r.v + b.v + 1) / 2)}));
  BOOST_TEST(same(at(f.get(), 240, 90), Compositor::toYuv(0x00FF00), 0));
}

BOOST_AUTO_TEST_CASE(an_input_layer_takes_the_picture_made_for_its_size) {
  Painted p(1);
  LayerSpec l;
  l.input = 0;
  l.rect = {0.5, 0.5, 0.5, 0.5};
  const PixelRect cell = LayoutGeometry::fromFractions(l.rect, 320, 180);
  av::FramePtr pic = yuvFrame(cell.w, cell.h);
  Compositor::fill(pic.get(), {0, 0, cell.w, cell.h}, 0xFFFF00);
  {
    std::lock_guard lock(p.state->slots[0]->mutex);
    p.state->slots[0]->pictures.push_back({PlacementKey::of(l, cell), 0, 0, std::move(pic)});
  }
  av::FramePtr f = yuvFrame(320, 180);
  p.painter->paint(f.get(), {l}, {InputShow::Live}, Scene{});
  BOOST_TEST(same(at(f.get(), 250, 140), Compositor::toYuv(0xFFFF00), 0));
  BOOST_TEST(same(at(f.get(), 50, 40), Compositor::toYuv(0x000000), 0));
  // Another size (the preview's canvas) has no picture yet: nothing is drawn there.
  av::FramePtr small = yuvFrame(160, 90);
  p.painter->paint(small.get(), {l}, {InputShow::Live}, Scene{});
  BOOST_TEST(same(at(small.get(), 120, 70), Compositor::toYuv(0x000000), 0));
  // A stalled input past its repeat shows the slate colour in its cell.
  Scene scene;
  scene.slateRgb = 0x00FFFF;
  p.painter->paint(f.get(), {l}, {InputShow::Slate}, scene);
  BOOST_TEST(same(at(f.get(), 250, 140), Compositor::toYuv(0x00FFFF), 0));
}

BOOST_AUTO_TEST_CASE(an_image_layer_keeps_its_alpha) {
  // A 4x4 PNG, left half opaque white, right half transparent, made by ffmpeg.
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("scene_painter_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string png = (dir / "half.png").string();
  const std::string cmd =
      "ffmpeg -v error -y -f lavfi -i color=white:s=4x4,format=rgba -vf "
      "\"geq=r=255:g=255:b=255:a='if(lt(X,2),255,0)'\" -frames:v 1 " +
      png;
  BOOST_REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, cmd);
  Painted p(0, dir.string());
  LayerSpec l;
  l.source = LayerSource::Image;
  l.image = "half.png";
  l.fit = LayerFit::Stretch;
  av::FramePtr f = yuvFrame(320, 180);
  p.painter->paint(f.get(), {colour(0x0000FF), l}, {}, Scene{});
  BOOST_TEST(at(f.get(), 40, 90).y > 200);                                 // white
  BOOST_TEST(same(at(f.get(), 280, 90), Compositor::toYuv(0x0000FF), 2));  // blue shows
  std::filesystem::remove_all(dir);
}
