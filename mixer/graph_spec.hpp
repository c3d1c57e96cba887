// GraphSpec: the typed description of one pipeline's filter graph (nodes with their
// filter, instance name and ordered options; links between pads), built from a
// planned ladder and the overlays. FilterGraph turns it into an AVFilterGraph node
// by node, so user text never passes through a graph parser. Pure value; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mixer/clock_zone.hpp"
#include "mixer/ladder_planner.hpp"
#include "mixer/overlay_filters.hpp"
#include "mixer/overlay_spec.hpp"

namespace mixer {

// What every rung's encoder takes.
inline constexpr std::string_view kEncoderPixFmt = "yuv420p";

struct Rational {
  int num = 0;
  int den = 1;
  bool operator==(const Rational&) const = default;
};

// One option; FilterGraph sets it with av_opt_set on text(), which converts to the
// option's own type (drawtext's fontsize is a string in FFmpeg 5.1, for one).
struct FilterOption {
  std::string key;
  std::variant<int64_t, double, std::string, Rational> value;
  std::string text() const;
};

struct FilterNode {
  std::string filter;  // "scale"
  std::string name;    // instance name, unique in the graph: "scale@r1"
  std::vector<FilterOption> options;
  const FilterOption* option(std::string_view key) const;
};

struct FilterLink {
  size_t from = 0;
  unsigned fromPad = 0;
  size_t to = 0;
  unsigned toPad = 0;
  bool operator==(const FilterLink&) const = default;
};

// The decoded frames entering the graph.
struct GraphSource {
  int width = 0;
  int height = 0;
  std::string pixFmt{kEncoderPixFmt};  // the decoder's, by av_get_pix_fmt_name
  Rational timeBase{1, 1000};          // pts in ms, the hub's clock
  Rational sar{1, 1};
  double fps = 30;
};

// What the VideoWorker resolved before building: fonts, the size of each loaded
// (already scaled) logo by overlay id, the state of each clock by overlay id (its
// zone's offset now and the wall-clock time of pts 0).
struct GraphAssets {
  FontPaths fonts;
  std::map<std::string, FrameSize> images;
  std::map<std::string, ClockState> clocks;
};

// When the first clock of `assets` needs a "reinit" (OverlaySet::clockCommand): the
// earliest ClockState::validUntil, epoch seconds; nullopt when none ever does.
std::optional<int64_t> nextClockReinit(const GraphAssets& assets);

class GraphSpec {
 public:
  // buffer@src -> scale@r0 [-> format@r0] -> overlays by z -> [split@r0] -> [fps@r0]
  // -> buffersink@r0, and each further rung scaled (bilinear) from the split of the
  // one above it. Fails when an image overlay has no loaded size or a clock no state.
  static std::optional<GraphSpec> build(const GraphSource& source, const LadderPlan& plan,
                                        const std::vector<OverlaySpec>& overlays,
                                        const GraphAssets& assets, std::string& error);

  const std::vector<FilterNode>& nodes() const { return nodes_; }
  const std::vector<FilterLink>& links() const { return links_; }
  size_t sourceNode() const { return source_; }
  // buffersink per planned rung, in LadderPlan::rungs order.
  const std::vector<size_t>& sinkNodes() const { return sinks_; }
  // buffer inputs of image overlays: overlay id -> node.
  const std::map<std::string, size_t>& imageInputs() const { return images_; }
  // The node named `name`, or nullopt.
  std::optional<size_t> find(std::string_view name) const;
  // The node feeding input pad `pad` of node `to`, or nullopt.
  std::optional<size_t> feeder(size_t to, unsigned pad = 0) const;
  // One line for logs: every node with its options, then the links.
  std::string describe() const;

 private:
  size_t add(std::string filter, std::string name, std::vector<FilterOption> options);
  void link(size_t from, unsigned fromPad, size_t to, unsigned toPad);
  bool addOverlays(size_t& tail, FrameSize top, const std::vector<OverlaySpec>& overlays,
                   const GraphAssets& assets, std::string& error);
  void addRung(size_t head, const PlannedRung& rung, size_t index, unsigned children,
               std::vector<std::pair<size_t, unsigned>>& feeds);

  std::vector<FilterNode> nodes_;
  std::vector<FilterLink> links_;
  size_t source_ = 0;
  std::vector<size_t> sinks_;
  std::map<std::string, size_t> images_;
};

// 30 -> 30/1, 29.97 -> 30000/1001, otherwise milli-frames per second.
Rational frameRate(double fps);

}  // namespace mixer
