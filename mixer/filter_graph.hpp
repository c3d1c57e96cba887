// mixer::FilterGraph: one pipeline's AVFilterGraph, built from a GraphSpec node by
// node (typed options through av_opt_set, never a filter string), fed decoded frames
// and drained per rung. Owned and used by one VideoWorker thread; never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "av/av_ptr.hpp"
#include "mixer/graph_spec.hpp"

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavutil/frame.h>
#include <libavutil/pixfmt.h>
#include <libavutil/rational.h>
}

namespace av {
struct FilterApi;
}

namespace mixer {

// The decoded frames the graph takes: every pushed frame has this size and format.
struct InputFormat {
  int width = 0;
  int height = 0;
  AVPixelFormat pixFmt = AV_PIX_FMT_NONE;
  AVRational timeBase{1, 1000};
  AVRational sar{1, 1};
};

class FilterGraph {
 public:
  enum class Pull : uint8_t {
    Frame,   // `out` holds a frame
    Again,   // nothing before the next push (EAGAIN)
    End,     // this rung is drained after flush() (EOF)
    Failed,  // `error` says why
  };

  // The graph of `spec`, configured, or nullptr with `error` naming the node
  // ("drawtext@ov_title: init: ...") and FFmpeg's reason. `spec`'s source node must
  // describe `input` (size and pixel format). `api` outlives the graph.
  static std::unique_ptr<FilterGraph> build(const av::FilterApi& api, const GraphSpec& spec,
                                            const InputFormat& input, std::string& error);
  ~FilterGraph();
  FilterGraph(const FilterGraph&) = delete;
  FilterGraph& operator=(const FilterGraph&) = delete;

  // Queues a new reference to `frame` (the caller keeps its own) at buffer@src.
  // Refused (false) when its size or format is not the input's, after flush(), or
  // while an image overlay has no image yet (its overlay would hold every frame).
  bool push(const AVFrame* frame, std::string& error);
  // The next frame of rung `rung` (GraphSpec::sinkNodes order) into `out`, unref'd
  // first, its pts in the input's time base. Runs the filters as far as that sink needs.
  Pull pull(size_t rung, AVFrame* out, std::string& error);
  // avfilter_graph_send_command to the one filter named `target` ("drawtext@ov_t",
  // "overlay@ov_logo"; never "all" or a filter type). A failed drawtext "reinit"
  // leaves its previous options in place.
  bool sendCommand(const std::string& target, const std::string& command, const std::string& arg,
                   std::string& error);
  // Feeds image overlay `overlayId`'s input its one RGBA frame (copied by
  // reference), then EOF: the overlay repeats it (eof_action=repeat). Once per
  // graph; a new image needs a new graph.
  bool setImage(const std::string& overlayId, const AVFrame* rgba, std::string& error);
  // EOF into buffer@src: what is queued comes out, then every rung pulls End.
  bool flush(std::string& error);

  size_t rungs() const { return sinks_.size(); }
  const InputFormat& input() const { return input_; }
  // The filter instance named `instance`, or nullptr (tests read options back).
  AVFilterContext* filter(std::string_view instance) const;

 private:
  FilterGraph(const av::FilterApi& api, const InputFormat& input);
  bool addNodes(const GraphSpec& spec, std::string& error);
  bool addNode(const FilterNode& node, bool source, std::string& error);
  bool checkSource(const FilterNode& node, std::string& error) const;
  static bool checkFiles(const FilterNode& node, std::string& error);
  bool setSourceParameters(AVFilterContext* ctx, std::string& error);
  bool addLinks(const GraphSpec& spec, std::string& error);
  std::string reason(int code) const;
  // Sanitized builds: FFmpeg 5.1's drawtext reinit leak is not reported (see .cpp).
  void ignoreReinitLeak(AVFilterContext* ctx) const;

  const av::FilterApi& api_;
  InputFormat input_;
  av::FilterGraphPtr graph_;
  std::vector<AVFilterContext*> nodes_;  // GraphSpec::nodes() order, owned by graph_
  AVFilterContext* source_ = nullptr;
  std::vector<AVFilterContext*> sinks_;
  std::map<std::string, AVFilterContext*> images_;  // overlay id -> buffer@img_<id>
  std::set<std::string> imagesSet_;
  bool flushed_ = false;
};

}  // namespace mixer
