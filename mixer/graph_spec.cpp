#include "mixer/graph_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

namespace mixer {

namespace {

constexpr std::string_view kScaleFlags = "bilinear";  // caster.md: the cascade's cheapest
constexpr std::string_view kImagePixFmt = "rgba";

std::string rungName(const char* filter, size_t index) {
  return fmt::format("{}@r{}", filter, index);
}

// Overlays in stacking order: by z, ties in list order.
std::vector<const OverlaySpec*> stacked(const std::vector<OverlaySpec>& overlays) {
  std::vector<const OverlaySpec*> out;
  for (const auto& o : overlays) out.push_back(&o);
  std::stable_sort(out.begin(), out.end(),
                   [](const OverlaySpec* a, const OverlaySpec* b) { return a->z < b->z; });
  return out;
}

}  // namespace

std::string FilterOption::text() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return v;
        } else if constexpr (std::is_same_v<T, Rational>) {
          return fmt::format("{}/{}", v.num, v.den);
        } else if constexpr (std::is_same_v<T, double>) {
          return exprNumber(v);
        } else {
          return std::to_string(v);
        }
      },
      value);
}

const FilterOption* FilterNode::option(std::string_view key) const {
  for (const auto& o : options) {
    if (o.key == key) return &o;
  }
  return nullptr;
}

std::optional<int64_t> nextClockReinit(const GraphAssets& assets) {
  std::optional<int64_t> next;
  for (const auto& [id, state] : assets.clocks) {
    if (state.validUntil && (!next || *state.validUntil < *next)) next = state.validUntil;
  }
  return next;
}

Rational frameRate(double fps) {
  if (!std::isfinite(fps) || fps <= 0) return {30, 1};
  double whole = std::round(fps);
  if (std::fabs(fps - whole) < 0.001) return {static_cast<int>(whole), 1};
  double ntsc = std::round(fps * 1.001);
  if (std::fabs(fps - ntsc / 1.001) < 0.001) return {static_cast<int>(ntsc) * 1000, 1001};
  return {static_cast<int>(std::lround(fps * 1000)), 1000};
}

size_t GraphSpec::add(std::string filter, std::string name, std::vector<FilterOption> options) {
  nodes_.push_back({std::move(filter), std::move(name), std::move(options)});
  return nodes_.size() - 1;
}

void GraphSpec::link(size_t from, unsigned fromPad, size_t to, unsigned toPad) {
  links_.push_back({from, fromPad, to, toPad});
}

std::optional<size_t> GraphSpec::find(std::string_view name) const {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].name == name) return i;
  }
  return std::nullopt;
}

std::optional<size_t> GraphSpec::feeder(size_t to, unsigned pad) const {
  for (const auto& l : links_) {
    if (l.to == to && l.toPad == pad) return l.from;
  }
  return std::nullopt;
}

bool GraphSpec::addOverlays(size_t& tail, FrameSize top, const std::vector<OverlaySpec>& overlays,
                            const GraphAssets& assets, std::string& error) {
  for (const OverlaySpec* o : stacked(overlays)) {
    std::vector<FilterOption> options;
    if (o->type == OverlayType::Image) {
      auto size = assets.images.find(o->id);
      if (size == assets.images.end() || size->second.width <= 0 || size->second.height <= 0) {
        error = fmt::format("overlay {}: image not loaded", o->id);
        return false;
      }
      size_t image = add("buffer", imageInputInstance(*o),
                         {{"width", int64_t{size->second.width}},
                          {"height", int64_t{size->second.height}},
                          {"pix_fmt", std::string(kImagePixFmt)},
                          {"time_base", Rational{1, 1000}},
                          {"pixel_aspect", Rational{1, 1}}});
      images_[o->id] = image;
      auto [x, y] = imagePosition(*o, top);
      options = {{"x", x}, {"y", y}, {"eof_action", std::string("repeat")}};
      if (!o->visible) options.push_back({"enable", std::string("0")});
      size_t node = add("overlay", overlayInstance(*o), std::move(options));
      link(tail, 0, node, 0);
      link(image, 0, node, 1);
      tail = node;
      continue;
    }
    // NOTE: expansion=none: user text is drawn as it is, %{...} included. A clock's
    // text is ours (clockText: a number and an escaped, validated strftime format),
    // expanded by drawtext every frame.
    bool clock = o->type == OverlayType::Clock;
    options = {{"expansion", std::string(clock ? "normal" : "none")},
               {"fontfile", fontFile(*o, assets.fonts)}};
    OverlaySpec drawn = *o;
    if (clock) {
      auto state = assets.clocks.find(o->id);
      if (state == assets.clocks.end()) {
        error = fmt::format("overlay {}: clock zone not resolved", o->id);
        return false;
      }
      drawn.text = clockText(o->format, state->second);
    }
    for (auto& [key, value] : drawtextOptions(drawn, top, true)) options.push_back({key, value});
    if (!o->visible) options.push_back({"enable", std::string("0")});
    size_t node = add("drawtext", overlayInstance(*o), std::move(options));
    link(tail, 0, node, 0);
    tail = node;
  }
  return true;
}

void GraphSpec::addRung(size_t head, const PlannedRung& rung, size_t index, unsigned children,
                        std::vector<std::pair<size_t, unsigned>>& feeds) {
  size_t branch = head;
  if (children > 0) {
    size_t split = add("split", rungName("split", index), {{"outputs", int64_t{children + 1}}});
    link(head, 0, split, 0);
    for (unsigned c = 0; c < children; ++c) feeds.push_back({split, c + 1});
    branch = split;
  }
  if (rung.reducesFps) {
    auto fps = static_cast<int>(std::lround(rung.fps));
    size_t node = add("fps", rungName("fps", index), {{"fps", Rational{fps, 1}}});
    link(branch, 0, node, 0);
    branch = node;
  }
  size_t sink = add("buffersink", rungName("buffersink", index), {});
  link(branch, 0, sink, 0);
  sinks_.push_back(sink);
}

std::optional<GraphSpec> GraphSpec::build(const GraphSource& source, const LadderPlan& plan,
                                          const std::vector<OverlaySpec>& overlays,
                                          const GraphAssets& assets, std::string& error) {
  const auto& rungs = plan.rungs;
  if (rungs.empty() || rungs[0].parent != -1) {
    error = "ladder plan: no top rung";
    return std::nullopt;
  }
  std::vector<unsigned> children(rungs.size(), 0);
  for (size_t i = 1; i < rungs.size(); ++i) {
    int p = rungs[i].parent;
    if (p < 0 || static_cast<size_t>(p) >= i) {
      error = fmt::format("ladder plan: rung {} is not scaled from a larger rung", i);
      return std::nullopt;
    }
    ++children[p];
  }
  GraphSpec g;
  g.source_ = g.add("buffer", "buffer@src",
                    {{"width", int64_t{source.width}},
                     {"height", int64_t{source.height}},
                     {"pix_fmt", source.pixFmt},
                     {"time_base", source.timeBase},
                     {"pixel_aspect", source.sar},
                     {"frame_rate", frameRate(source.fps)}});
  size_t tail = g.add("scale", rungName("scale", 0),
                      {{"w", int64_t{rungs[0].width}},
                       {"h", int64_t{rungs[0].height}},
                       {"flags", std::string(kScaleFlags)}});
  g.link(g.source_, 0, tail, 0);
  if (source.pixFmt != kEncoderPixFmt) {
    // One conversion, in the top scale's pass; the cascade keeps the format.
    size_t format =
        g.add("format", rungName("format", 0), {{"pix_fmts", std::string(kEncoderPixFmt)}});
    g.link(tail, 0, format, 0);
    tail = format;
  }
  if (!g.addOverlays(tail, {rungs[0].width, rungs[0].height}, overlays, assets, error))
    return std::nullopt;
  // feeds[k]: the split pads of rung k's children, taken in rung order.
  std::vector<std::vector<std::pair<size_t, unsigned>>> feeds(rungs.size());
  for (size_t i = 0; i < rungs.size(); ++i) {
    size_t head = tail;
    if (i > 0) {
      auto& parentFeeds = feeds[rungs[i].parent];
      auto [from, pad] = parentFeeds.front();
      parentFeeds.erase(parentFeeds.begin());
      head = g.add("scale", rungName("scale", i),
                   {{"w", int64_t{rungs[i].width}},
                    {"h", int64_t{rungs[i].height}},
                    {"flags", std::string(kScaleFlags)}});
      g.link(from, pad, head, 0);
    }
    g.addRung(head, rungs[i], i, children[i], feeds[i]);
  }
  return g;
}

std::string GraphSpec::describe() const {
  std::string out = "nodes:";
  for (const auto& n : nodes_) {
    out += " " + n.name + "{";
    bool first = true;
    for (const auto& o : n.options) {
      std::string v = o.text();
      bool plain = std::all_of(v.begin(), v.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) ||
               std::string_view("/._-+*()@").find(c) != std::string_view::npos;
      });
      out += (first ? "" : " ") + o.key + "=" +
             (plain && !v.empty() ? v
                                  : nlohmann::json(v).dump(
                                        -1, ' ', false, nlohmann::json::error_handler_t::replace));
      first = false;
    }
    out += "}";
  }
  out += "; links:";
  for (const auto& l : links_) {
    out += fmt::format(" {}:{}>{}:{}", nodes_[l.from].name, l.fromPad, nodes_[l.to].name, l.toPad);
  }
  return out;
}

}  // namespace mixer
