#include "mixer/logo_image.hpp"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <cmath>
#include <cstring>
#include <fstream>
#include <string>

#include "av/av_libraries.hpp"
#include "av/filter_api.hpp"
#include "mixer/filter_graph.hpp"
#include "tests/unit/mixer/filter_api_fixture.hpp"

using mixer::LogoImage;

namespace {

const av::FilterApi& api() {
  return mixer_testing::filterApi();
}

// A fresh directory under /tmp, removed with its files.
struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/logo_image_test.XXXXXX";
    BOOST_REQUIRE(::mkdtemp(tmpl));
    path = tmpl;
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
  std::string file(const std::string& name, const std::string& bytes) const {
    std::string p = path + "/" + name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

// A width x height PNG of one RGBA colour, written by libavcodec's png encoder.
std::string png(int width, int height, const uint8_t rgba[4]) {
  const AVCodec* codec = api().avcodec_find_encoder(AV_CODEC_ID_PNG);
  BOOST_REQUIRE(codec);
  av::CodecContextPtr ctx = av::makeCodecContext(api(), codec);
  ctx->width = width;
  ctx->height = height;
  ctx->pix_fmt = AV_PIX_FMT_RGBA;
  ctx->time_base = {1, 25};
  BOOST_REQUIRE(api().avcodec_open2(ctx.get(), codec, nullptr) == 0);
  av::FramePtr f = av::makeFrame(api());
  f->width = width;
  f->height = height;
  f->format = AV_PIX_FMT_RGBA;
  f->pts = 0;
  BOOST_REQUIRE(api().av_frame_get_buffer(f.get(), 0) == 0);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) std::memcpy(f->data[0] + y * f->linesize[0] + x * 4, rgba, 4);
  BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), f.get()) == 0);
  BOOST_REQUIRE(api().avcodec_send_frame(ctx.get(), nullptr) == 0);
  av::PacketPtr pkt = av::makePacket(api());
  BOOST_REQUIRE(api().avcodec_receive_packet(ctx.get(), pkt.get()) == 0);
  return std::string(reinterpret_cast<const char*>(pkt->data), pkt->size);
}

constexpr uint8_t kMagenta[4] = {0xFF, 0x00, 0xFF, 0xFF};

}  // namespace

BOOST_AUTO_TEST_CASE(loads_scales_and_applies_opacity) {
  TempDir dir;
  std::string path = dir.file("logo.png", png(40, 20, kMagenta));
  std::string error;
  auto logo = LogoImage::load(api(), path, 20, 0.5, error);
  BOOST_REQUIRE_MESSAGE(logo, error);
  const AVFrame* f = logo->frame();
  BOOST_TEST(f->width == 20);
  BOOST_TEST(f->height == 10);
  BOOST_TEST(f->format == AV_PIX_FMT_RGBA);
  BOOST_TEST(f->pts == 0);
  BOOST_TEST((logo->size() == mixer::FrameSize{20, 10}));
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 20; ++x) {
      const uint8_t* px = f->data[0] + y * f->linesize[0] + x * 4;
      BOOST_TEST_REQUIRE(int(px[0]) == 255);
      BOOST_TEST_REQUIRE(int(px[1]) == 0);
      BOOST_TEST_REQUIRE(int(px[2]) == 255);
      BOOST_TEST_REQUIRE(int(px[3]) == 128);  // 255 * 0.5, rounded
    }
  // Natural size, opaque.
  auto natural = LogoImage::load(api(), path, 0, 1.0, error);
  BOOST_REQUIRE_MESSAGE(natural, error);
  BOOST_TEST((natural->size() == mixer::FrameSize{40, 20}));
  BOOST_TEST(int(natural->frame()->data[0][3]) == 255);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_no_png_is_named) {
  TempDir dir;
  std::string path = dir.file("notes.png", "this is a text file, not a picture\n");
  std::string error;
  BOOST_TEST(!LogoImage::load(api(), path, 0, 1.0, error));
  BOOST_TEST(error == "cannot decode " + path + ": Invalid data found when processing input",
             error);
  path = dir.file("empty.png", "");
  BOOST_TEST(!LogoImage::load(api(), path, 0, 1.0, error));
  BOOST_TEST(error == "cannot decode " + path + ": empty file", error);
}

BOOST_AUTO_TEST_CASE(a_missing_file_or_directory_is_named) {
  TempDir dir;
  std::string error;
  BOOST_TEST(!LogoImage::load(api(), dir.path + "/x.png", 0, 1.0, error));
  BOOST_TEST(error == dir.path + "/x.png: no such file");
  BOOST_TEST(!LogoImage::load(api(), dir.path, 0, 1.0, error));
  BOOST_TEST(error == dir.path + ": not a regular file");
}

BOOST_AUTO_TEST_CASE(huge_images_and_files_are_refused) {
  TempDir dir;
  // A PNG signature and an IHDR declaring 5000x5000 (the decoder never runs).
  std::string header("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x13\x88\0\0\x13\x88\x08\x06\0\0\0", 29);
  std::string path = dir.file("huge.png", header + std::string(16, '\0'));
  std::string error;
  BOOST_TEST(!LogoImage::load(api(), path, 0, 1.0, error));
  BOOST_TEST(error == path + ": 5000x5000 is larger than 4096x4096", error);
  // 9 MB (sparse): refused before it is read.
  std::string big = dir.file("big.png", png(4, 4, kMagenta));
  BOOST_REQUIRE(::truncate(big.c_str(), 9 << 20) == 0);
  BOOST_TEST(!LogoImage::load(api(), big, 0, 1.0, error));
  BOOST_TEST(error == big + ": 9437184 bytes, more than the 8 MB a logo may have", error);
  // A width beyond the bound, and a scaled height beyond it.
  std::string tall = dir.file("tall.png", png(2, 2048, kMagenta));
  BOOST_TEST(!LogoImage::load(api(), tall, 5000, 1.0, error));
  BOOST_TEST(!LogoImage::load(api(), tall, 8, 1.0, error));
  BOOST_TEST(error.find("more than 4096") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(a_loaded_logo_feeds_an_image_overlay) {
  TempDir dir;
  std::string path = dir.file("logo.png", png(80, 40, kMagenta));
  std::string error;
  auto logo = LogoImage::load(api(), path, 64, 0.5, error);
  BOOST_REQUIRE_MESSAGE(logo, error);
  BOOST_TEST((logo->size() == mixer::FrameSize{64, 32}));
  // A 1280x720 grey (Y 60) source, one 360p rung (positions are on its frame), the
  // logo at (100, 60).
  mixer::OverlaySpec o;
  o.id = "logo";
  o.type = mixer::OverlayType::Image;
  o.file = "logo.png";
  o.x = 100;
  o.y = 60;
  mixer::GraphSource source;
  source.width = 1280;
  source.height = 720;
  mixer::PipelineSpec spec;
  spec.rungs = {{360, 0, 30, 700, "", {}}};
  auto plan = mixer::LadderPlanner::plan({1280, 720, 30}, spec, 2, error);
  BOOST_REQUIRE_MESSAGE(plan, error);
  mixer::GraphAssets assets;
  assets.images["logo"] = logo->size();
  auto gs = mixer::GraphSpec::build(source, *plan, {o}, assets, error);
  BOOST_REQUIRE_MESSAGE(gs, error);
  auto g = mixer::FilterGraph::build(api(), *gs, {1280, 720, AV_PIX_FMT_YUV420P, {1, 1000}, {1, 1}},
                                     error);
  BOOST_REQUIRE_MESSAGE(g, error);
  BOOST_REQUIRE_MESSAGE(g->setImage("logo", logo->frame(), error), error);
  av::FramePtr in = av::makeFrame(api());
  in->width = 1280;
  in->height = 720;
  in->format = AV_PIX_FMT_YUV420P;
  BOOST_REQUIRE(api().av_frame_get_buffer(in.get(), 0) == 0);
  for (int p = 0; p < 3; ++p)
    for (int y = 0; y < (p ? 360 : 720); ++y)
      std::memset(in->data[p] + y * in->linesize[p], p ? 128 : 60, p ? 640 : 1280);
  in->pts = 0;
  BOOST_REQUIRE_MESSAGE(g->push(in.get(), error), error);
  av::FramePtr out = av::makeFrame(api());
  BOOST_REQUIRE((g->pull(0, out.get(), error) == mixer::FilterGraph::Pull::Frame));
  // Half-transparent magenta over Y 60: Y about (60 + 106) / 2 inside, 60 outside.
  double inside = 0;
  for (int y = 64; y < 88; ++y)
    for (int x = 104; x < 160; ++x) inside += out->data[0][y * out->linesize[0] + x];
  inside /= 24 * 56;
  BOOST_TEST(std::abs(inside - 83) < 4, inside);
  BOOST_TEST(int(out->data[0][50 * out->linesize[0] + 50]) == 60);
}
