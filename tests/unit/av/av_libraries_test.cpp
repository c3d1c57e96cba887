#include "av/av_libraries.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "av/av_error.hpp"
#include "av/av_ptr.hpp"
#include "av/filter_api.hpp"
#include "av/format_api.hpp"
#include "tests/unit/process_maps.hpp"

using testing_maps::mapped;

namespace {

// A node of `graph` made and initialised from typed options, as the mixer builds them.
AVFilterContext* node(const av::FilterApi& api, AVFilterGraph* graph, const char* filter,
                      const char* name) {
  AVFilterContext* ctx =
      api.avfilter_graph_alloc_filter(graph, api.avfilter_get_by_name(filter), name);
  BOOST_REQUIRE(ctx);
  return ctx;
}

// NOTE: never a null dictionary: scale's init_dict (FFmpeg 5.1) takes *options.
int init(const av::FilterApi& api, AVFilterContext* ctx) {
  AVDictionary* none = nullptr;
  const int rc = api.avfilter_init_dict(ctx, &none);
  api.av_dict_free(&none);
  return rc;
}

}  // namespace

// NOTE: the order matters (Boost.Test runs cases in file order, one process).
BOOST_AUTO_TEST_CASE(nothing_is_mapped_until_a_table_is_asked_for) {
  av::Libraries libs;
  BOOST_TEST(!mapped("libavutil"));
  BOOST_TEST(!mapped("libavformat"));
  BOOST_TEST(!mapped("libavfilter"));
}

BOOST_AUTO_TEST_CASE(the_format_table_maps_libavformat_and_not_libavfilter) {
  av::Libraries libs;
  std::string error;
  const av::FormatApi* api = libs.format(error);
  BOOST_REQUIRE_MESSAGE(api, error);
  BOOST_TEST(libs.format(error) == api);  // loaded once
  BOOST_TEST(mapped("libavformat"));
  BOOST_TEST(!mapped("libavfilter"));
  BOOST_TEST(!mapped("libswscale"));
  BOOST_TEST(av::averror(*api, AVERROR(EINVAL)) == "Invalid argument");
}

BOOST_AUTO_TEST_CASE(threads_asking_at_once_get_the_one_filter_table) {
  av::Libraries libs;
  std::vector<const av::FilterApi*> seen(4, nullptr);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&libs, &seen, i] {
      std::string error;
      seen[i] = libs.filter(error);
    });
  for (auto& t : threads) t.join();
  BOOST_REQUIRE(seen[0]);
  for (auto* api : seen) BOOST_TEST(api == seen[0]);
  BOOST_TEST(mapped("libavfilter"));
  BOOST_TEST(mapped("libswscale"));
}

// The filter table's signatures are the real ones: a buffer → scale → buffersink
// graph built node by node (no filter string) turns a 16x12 frame into 8x6, and
// swscale does the same on its own.
BOOST_AUTO_TEST_CASE(the_filter_table_builds_a_graph_node_by_node_and_scales) {
  av::Libraries libs;
  std::string error;
  const av::FilterApi* api = libs.filter(error);
  BOOST_REQUIRE_MESSAGE(api, error);
  av::FilterGraphPtr graph = av::makeFilterGraph(*api);
  BOOST_REQUIRE(graph);
  AVFilterContext* src = node(*api, graph.get(), "buffer", "src");
  BOOST_TEST(api->av_opt_set_image_size(src, "video_size", 16, 12, AV_OPT_SEARCH_CHILDREN) == 0);
  BOOST_TEST(
      api->av_opt_set_pixel_fmt(src, "pix_fmt", AV_PIX_FMT_YUV420P, AV_OPT_SEARCH_CHILDREN) == 0);
  BOOST_TEST(api->av_opt_set_q(src, "time_base", AVRational{1, 1000}, AV_OPT_SEARCH_CHILDREN) == 0);
  BOOST_REQUIRE(init(*api, src) == 0);
  AVFilterContext* scale = node(*api, graph.get(), "scale", "scale");
  // NOTE: scale's w and h are expressions (strings), not integers.
  BOOST_REQUIRE(api->av_opt_set(scale, "w", "8", AV_OPT_SEARCH_CHILDREN) == 0);
  BOOST_REQUIRE(api->av_opt_set(scale, "h", "6", AV_OPT_SEARCH_CHILDREN) == 0);
  BOOST_REQUIRE(init(*api, scale) == 0);
  AVFilterContext* sink = node(*api, graph.get(), "buffersink", "out");
  BOOST_REQUIRE(init(*api, sink) == 0);
  BOOST_REQUIRE(api->avfilter_link(src, 0, scale, 0) == 0);
  BOOST_REQUIRE(api->avfilter_link(scale, 0, sink, 0) == 0);
  const int rc = api->avfilter_graph_config(graph.get(), nullptr);
  BOOST_REQUIRE_MESSAGE(rc == 0, av::averror(*api, rc));

  av::FramePtr in = av::makeFrame(*api);
  in->width = 16;
  in->height = 12;
  in->format = AV_PIX_FMT_YUV420P;
  in->pts = 40;
  BOOST_REQUIRE(api->av_frame_get_buffer(in.get(), 0) == 0);
  for (int y = 0; y < 12; ++y)
    for (int x = 0; x < 16; ++x) in->data[0][y * in->linesize[0] + x] = 200;
  for (int p = 1; p < 3; ++p)
    for (int y = 0; y < 6; ++y)
      for (int x = 0; x < 8; ++x) in->data[p][y * in->linesize[p] + x] = 128;
  BOOST_REQUIRE(api->av_buffersrc_add_frame_flags(src, in.get(), AV_BUFFERSRC_FLAG_KEEP_REF) == 0);
  av::FramePtr out = av::makeFrame(*api);
  BOOST_REQUIRE(api->av_buffersink_get_frame(sink, out.get()) == 0);
  BOOST_TEST(out->width == 8);
  BOOST_TEST(out->height == 6);
  BOOST_TEST(out->pts == 40);
  BOOST_TEST(int(out->data[0][0]) == 200);

  SwsContext* sws = api->sws_getContext(16, 12, AV_PIX_FMT_YUV420P, 8, 6, AV_PIX_FMT_YUV420P,
                                        SWS_BILINEAR, nullptr, nullptr, nullptr);
  BOOST_REQUIRE(sws);
  av::FramePtr small = av::makeFrame(*api);
  small->width = 8;
  small->height = 6;
  small->format = AV_PIX_FMT_YUV420P;
  BOOST_TEST(api->sws_scale_frame(sws, small.get(), in.get()) >= 0);
  BOOST_TEST(int(small->data[0][0]) == 200);
  api->sws_freeContext(sws);
}
