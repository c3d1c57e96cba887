#include "mixer/slate_renderer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"
#include "mixer/compositor.hpp"

namespace mixer {

namespace {

using SlateOptions = std::vector<std::pair<const char*, std::string>>;

AVFilterContext* slateNode(const av::FilterApi& api, AVFilterGraph* graph, const char* filter,
                           const char* name, const SlateOptions& options, std::string& error) {
  const AVFilter* f = api.avfilter_get_by_name(filter);
  AVFilterContext* ctx = f ? api.avfilter_graph_alloc_filter(graph, f, name) : nullptr;
  if (!ctx) {
    error = fmt::format("slate: no {} filter", filter);
    return nullptr;
  }
  for (const auto& [key, value] : options) {
    if (int rc = api.av_opt_set(ctx, key, value.c_str(), AV_OPT_SEARCH_CHILDREN); rc < 0) {
      error = fmt::format("slate: {} {}: {}", name, key, av::averror(api, rc));
      return nullptr;
    }
  }
  AVDictionary* none = nullptr;
  const int rc = api.avfilter_init_dict(ctx, &none);
  api.av_dict_free(&none);
  if (rc < 0) {
    error = fmt::format("slate: {}: init: {}", name, av::averror(api, rc));
    return nullptr;
  }
  return ctx;
}

}  // namespace

av::FramePtr SlateRenderer::render(const av::FilterApi& api, int width, int height, uint32_t rgb,
                                   const std::string& text, const std::string& fontFile,
                                   std::string& error) {
  av::FramePtr frame = av::makeFrame(api);
  if (!frame) return nullptr;
  frame->width = width;
  frame->height = height;
  frame->format = AV_PIX_FMT_YUV420P;
  frame->pts = 0;
  frame->sample_aspect_ratio = {1, 1};
  if (api.av_frame_get_buffer(frame.get(), 0) < 0) return nullptr;
  Compositor::fill(frame.get(), {0, 0, width, height}, rgb);
  if (text.empty()) return frame;
  // NOTE: drawtext falls back to fontconfig's best match for a font it cannot open,
  // without an error: the file is checked first.
  if (::access(fontFile.c_str(), R_OK) != 0) {
    error = fmt::format("slate: font {}: {}", fontFile, std::strerror(errno));
    return nullptr;
  }
  av::FilterGraphPtr graph = av::makeFilterGraph(api);
  if (!graph) return nullptr;
  graph->nb_threads = 1;
  const int size = std::clamp(height / 8, 8, 96);
  AVFilterContext* src = slateNode(api, graph.get(), "buffer", "buffer@slate",
                                   {{"width", std::to_string(width)},
                                    {"height", std::to_string(height)},
                                    {"pix_fmt", "yuv420p"},
                                    {"time_base", "1/1000"},
                                    {"pixel_aspect", "1/1"}},
                                   error);
  AVFilterContext* draw = src ? slateNode(api, graph.get(), "drawtext", "drawtext@slate",
                                          {{"expansion", "none"},
                                           {"fontfile", fontFile},
                                           {"text", text},
                                           {"fontsize", std::to_string(size)},
                                           {"fontcolor", "white"},
                                           {"x", "(w-text_w)/2"},
                                           {"y", "(h-text_h)/2"}},
                                          error)
                              : nullptr;
  AVFilterContext* sink =
      draw ? slateNode(api, graph.get(), "buffersink", "buffersink@slate", {}, error) : nullptr;
  if (!sink) return nullptr;
  int rc = api.avfilter_link(src, 0, draw, 0);
  if (rc >= 0) rc = api.avfilter_link(draw, 0, sink, 0);
  if (rc >= 0) rc = api.avfilter_graph_config(graph.get(), nullptr);
  if (rc >= 0) rc = api.av_buffersrc_add_frame_flags(src, frame.get(), AV_BUFFERSRC_FLAG_KEEP_REF);
  av::FramePtr out = av::makeFrame(api);
  if (rc >= 0 && out) rc = api.av_buffersink_get_frame(sink, out.get());
  if (rc < 0 || !out) {
    error = "slate: drawtext: " + (rc < 0 ? av::averror(api, rc) : std::string("out of memory"));
    return nullptr;
  }
  return out;
}

}  // namespace mixer
