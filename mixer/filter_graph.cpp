#include "mixer/filter_graph.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "av/av_error.hpp"
#include "av/filter_api.hpp"

namespace mixer {

namespace {

// NOTE: the image overlay's one frame is stamped far before any source frame: the
// overlay filter (framesync) shows a secondary frame from its pts on, and with
// eof_action=repeat keeps showing it after the input's EOF. Stamped 0, it would be
// missing from frames with negative pts. 2^40 ms is ~35 years.
constexpr int64_t kImagePts = -(int64_t{1} << 40);

}  // namespace

FilterGraph::FilterGraph(const av::FilterApi& api, const InputFormat& input)
    : api_(api), input_(input) {}

FilterGraph::~FilterGraph() = default;

std::string FilterGraph::reason(int code) const {
  return av::averror(api_, code);
}

std::unique_ptr<FilterGraph> FilterGraph::build(const av::FilterApi& api, const GraphSpec& spec,
                                                const InputFormat& input, std::string& error) {
  std::unique_ptr<FilterGraph> g(new FilterGraph(api, input));
  g->graph_ = av::makeFilterGraph(api);
  if (!g->graph_) {
    error = "filter graph: out of memory";
    return nullptr;
  }
  if (!g->addNodes(spec, error) || !g->addLinks(spec, error)) return nullptr;
  int rc = api.avfilter_graph_config(g->graph_.get(), nullptr);
  if (rc < 0) {
    error = "filter graph: configure: " + g->reason(rc);
    return nullptr;
  }
  return g;
}

bool FilterGraph::addNodes(const GraphSpec& spec, std::string& error) {
  const auto& nodes = spec.nodes();
  if (spec.sourceNode() >= nodes.size() || nodes[spec.sourceNode()].filter != "buffer") {
    error = "filter graph: the spec has no buffer source";
    return false;
  }
  if (!checkSource(nodes[spec.sourceNode()], error)) return false;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (!addNode(nodes[i], i == spec.sourceNode(), error)) return false;
  }
  source_ = nodes_[spec.sourceNode()];
  for (size_t sink : spec.sinkNodes()) sinks_.push_back(nodes_.at(sink));
  for (const auto& [id, node] : spec.imageInputs()) images_[id] = nodes_.at(node);
  return true;
}

bool FilterGraph::checkSource(const FilterNode& node, std::string& error) const {
  const char* fmtName = api_.av_get_pix_fmt_name(input_.pixFmt);
  const FilterOption* w = node.option("width");
  const FilterOption* h = node.option("height");
  const FilterOption* pf = node.option("pix_fmt");
  bool same = w && h && pf && fmtName && w->text() == std::to_string(input_.width) &&
              h->text() == std::to_string(input_.height) && pf->text() == fmtName;
  if (same) return true;
  error = fmt::format("{}: the graph is for {}x{} {}, the input is {}x{} {}", node.name,
                      w ? w->text() : "?", h ? h->text() : "?", pf ? pf->text() : "?", input_.width,
                      input_.height, fmtName ? fmtName : "(no format)");
  return false;
}

bool FilterGraph::addNode(const FilterNode& node, bool source, std::string& error) {
  const AVFilter* filter = api_.avfilter_get_by_name(node.filter.c_str());
  if (!filter) {
    error = fmt::format("{}: this FFmpeg has no filter {}", node.name, node.filter);
    return false;
  }
  AVFilterContext* ctx = api_.avfilter_graph_alloc_filter(graph_.get(), filter, node.name.c_str());
  if (!ctx) {
    error = node.name + ": out of memory";
    return false;
  }
  nodes_.push_back(ctx);
  for (const auto& option : node.options) {
    // NOTE: av_opt_set on the value's text converts to the option's own type; the
    // value is one option's value, never parsed as a list of options.
    int rc =
        api_.av_opt_set(ctx, option.key.c_str(), option.text().c_str(), AV_OPT_SEARCH_CHILDREN);
    if (rc < 0) {
      error = fmt::format("{}: option {}: {}", node.name, option.key, reason(rc));
      return false;
    }
  }
  if (source && !setSourceParameters(ctx, error)) return false;
  if (!checkFiles(node, error)) return false;
  // NOTE: never a null dictionary: some filters' init_dict (scale's, FFmpeg 5.1)
  // read *options.
  AVDictionary* none = nullptr;
  int rc = api_.avfilter_init_dict(ctx, &none);
  api_.av_dict_free(&none);
  if (rc < 0) {
    error = fmt::format("{}: init: {}", node.name, reason(rc));
    return false;
  }
  return true;
}

bool FilterGraph::checkFiles(const FilterNode& node, std::string& error) {
  // NOTE: drawtext (FFmpeg 5.1) given a fontfile it cannot open falls back to
  // fontconfig's best match and draws in some other font without an error; so every
  // option naming a file ("fontfile") must name a readable one before init.
  for (const auto& option : node.options) {
    if (!option.key.ends_with("file")) continue;
    std::string path = option.text();
    if (::access(path.c_str(), R_OK) != 0) {
      error = fmt::format("{}: {} {}: {}", node.name, option.key, path, std::strerror(errno));
      return false;
    }
  }
  return true;
}

bool FilterGraph::setSourceParameters(AVFilterContext* ctx, std::string& error) {
  AVBufferSrcParameters* params = api_.av_buffersrc_parameters_alloc();
  if (!params) {
    error = "buffer@src: out of memory";
    return false;
  }
  params->format = input_.pixFmt;
  params->width = input_.width;
  params->height = input_.height;
  params->time_base = input_.timeBase;
  params->sample_aspect_ratio = input_.sar;
  int rc = api_.av_buffersrc_parameters_set(ctx, params);
  api_.av_free(params);
  if (rc < 0) {
    error = fmt::format("{}: parameters: {}", ctx->name ? ctx->name : "buffer", reason(rc));
    return false;
  }
  return true;
}

bool FilterGraph::addLinks(const GraphSpec& spec, std::string& error) {
  const auto& nodes = spec.nodes();
  for (const auto& l : spec.links()) {
    if (l.from >= nodes_.size() || l.to >= nodes_.size()) {
      error = "filter graph: a link names no node";
      return false;
    }
    int rc = api_.avfilter_link(nodes_[l.from], l.fromPad, nodes_[l.to], l.toPad);
    if (rc < 0) {
      error = fmt::format("link {}:{} -> {}:{}: {}", nodes[l.from].name, l.fromPad,
                          nodes[l.to].name, l.toPad, reason(rc));
      return false;
    }
  }
  return true;
}

bool FilterGraph::push(const AVFrame* frame, std::string& error) {
  if (flushed_) {
    error = "buffer@src: already flushed";
    return false;
  }
  if (imagesSet_.size() != images_.size()) {
    for (const auto& [id, ctx] : images_) {
      if (!imagesSet_.contains(id)) {
        error = fmt::format("overlay {}: no image set", id);
        return false;
      }
    }
  }
  if (frame->width != input_.width || frame->height != input_.height ||
      frame->format != input_.pixFmt) {
    error = fmt::format("buffer@src: a {}x{} frame (format {}) in a graph for {}x{}", frame->width,
                        frame->height, frame->format, input_.width, input_.height);
    return false;
  }
  // NOTE: KEEP_REF: buffersrc takes a new reference and leaves `frame` to the caller.
  int rc = api_.av_buffersrc_add_frame_flags(source_, const_cast<AVFrame*>(frame),
                                             AV_BUFFERSRC_FLAG_KEEP_REF);
  if (rc < 0) {
    error = "buffer@src: " + reason(rc);
    return false;
  }
  return true;
}

FilterGraph::Pull FilterGraph::pull(size_t rung, AVFrame* out, std::string& error) {
  if (rung >= sinks_.size()) {
    error = fmt::format("no rung {} (the graph has {})", rung, sinks_.size());
    return Pull::Failed;
  }
  api_.av_frame_unref(out);
  int rc = api_.av_buffersink_get_frame_flags(sinks_[rung], out, 0);
  if (rc >= 0) {
    // NOTE: an fps node gives its branch a 1/fps time base; every rung's frames go
    // out on the input's (ms), so pts compare across rungs and with the KeySchedule.
    const AVRational tb = api_.av_buffersink_get_time_base(sinks_[rung]);
    if (out->pts != AV_NOPTS_VALUE && av_cmp_q(tb, input_.timeBase) != 0)
      out->pts = api_.av_rescale_q(out->pts, tb, input_.timeBase);
    return Pull::Frame;
  }
  if (rc == AVERROR(EAGAIN)) return Pull::Again;
  if (rc == AVERROR_EOF) return Pull::End;
  error = fmt::format("{}: {}", sinks_[rung]->name ? sinks_[rung]->name : "buffersink", reason(rc));
  return Pull::Failed;
}

AVFilterContext* FilterGraph::filter(std::string_view instance) const {
  for (AVFilterContext* ctx : nodes_) {
    if (ctx->name && instance == ctx->name) return ctx;
  }
  return nullptr;
}

void FilterGraph::ignoreReinitLeak(AVFilterContext* ctx) const {
#if defined(__SANITIZE_ADDRESS__)
  if (!ctx || std::string_view(ctx->filter->name) != "drawtext") return;
  for (const AVOption* o = nullptr; (o = api_.av_opt_next(ctx->priv, o));) {
    if (o->type != AV_OPT_TYPE_STRING) continue;
    char* value = *reinterpret_cast<char**>(static_cast<uint8_t*>(ctx->priv) + o->offset);
    if (value) __lsan_ignore_object(value);
  }
#else
  (void)ctx;
#endif
}

bool FilterGraph::sendCommand(const std::string& target, const std::string& command,
                              const std::string& arg, std::string& error) {
  // NOTE: libavfilter also matches a filter type ("drawtext": all of them) and
  // "all"; only an instance of this graph is a target here.
  if (!filter(target)) {
    error = fmt::format("{}: no such filter in the graph", target);
    return false;
  }
  char answer[256] = {0};
  int rc = 0;
  {
#if defined(__SANITIZE_ADDRESS__)
    // NOTE: FFmpeg 5.1's drawtext "reinit" frees the context it replaces without
    // av_opt_free (later FFmpeg does), so the old option strings leak, ~100 bytes a
    // reinit, and a failed reinit leaks its copies. Not ours, and bounded by the API
    // calls that change a text: a sanitized build tells LeakSanitizer to ignore
    // exactly those strings and whatever a reinit allocates.
    if (command == "reinit") ignoreReinitLeak(filter(target));
    __lsan::ScopedDisabler reinitCopies;
#endif
    rc = api_.avfilter_graph_send_command(graph_.get(), target.c_str(), command.c_str(),
                                          arg.c_str(), answer, sizeof answer,
                                          AVFILTER_CMD_FLAG_ONE);
  }
  if (rc < 0) {
    error = fmt::format("{}: {}: {}", target, command, reason(rc));
    return false;
  }
  return true;
}

bool FilterGraph::setImage(const std::string& overlayId, const AVFrame* rgba, std::string& error) {
  auto it = images_.find(overlayId);
  if (it == images_.end()) {
    error = fmt::format("overlay {}: not an image overlay of this graph", overlayId);
    return false;
  }
  std::string name = it->second->name ? it->second->name : overlayId;
  if (imagesSet_.contains(overlayId)) {
    error = name + ": image already set (a new image needs a new graph)";
    return false;
  }
  const AVFilterLink* link = it->second->nb_outputs > 0 ? it->second->outputs[0] : nullptr;
  if (!link || rgba->width != link->w || rgba->height != link->h || rgba->format != link->format) {
    error = fmt::format("{}: a {}x{} image (format {}) for a {}x{} input", name, rgba->width,
                        rgba->height, rgba->format, link ? link->w : 0, link ? link->h : 0);
    return false;
  }
  av::FramePtr frame(api_.av_frame_clone(rgba), {api_.av_frame_free});
  if (!frame) {
    error = name + ": out of memory";
    return false;
  }
  frame->pts = kImagePts;
  // Without KEEP_REF the source takes the clone's references; the shell is freed here.
  int rc = api_.av_buffersrc_add_frame_flags(it->second, frame.get(), 0);
  if (rc >= 0) rc = api_.av_buffersrc_close(it->second, kImagePts, 0);
  if (rc < 0) {
    error = fmt::format("{}: {}", name, reason(rc));
    return false;
  }
  imagesSet_.insert(overlayId);
  return true;
}

bool FilterGraph::flush(std::string& error) {
  if (flushed_) return true;
  int rc = api_.av_buffersrc_add_frame_flags(source_, nullptr, 0);
  if (rc < 0) {
    error = "buffer@src: flush: " + reason(rc);
    return false;
  }
  flushed_ = true;
  return true;
}

}  // namespace mixer
