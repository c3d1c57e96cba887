#include "mixer/ladder_planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace mixer {

namespace {

constexpr double kDefaultFps = 30;
constexpr double kMaxRateFactor = 1.1;
constexpr double kBufSizeFactor = 1.5;
constexpr int kSafetyGops = 10;

X264Settings x264For(const PipelineSpec& spec, const RungSpec& rung, int gopFrames, int threads) {
  X264Settings x;
  x.preset = spec.presetOf(rung);
  x.tune = spec.tuneOf(rung);
  x.bitRate = int64_t{rung.kbps} * 1000;
  x.maxRate = static_cast<int64_t>(std::llround(x.bitRate * kMaxRateFactor));
  x.bufSize = static_cast<int64_t>(std::llround(x.bitRate * kBufSizeFactor));
  x.keyintMin = gopFrames;
  x.gop = gopFrames * kSafetyGops;
  x.threads = threads;
  return x;
}

}  // namespace

int LadderPlanner::widthFor(int height, int sourceWidth, int sourceHeight) {
  double exact = static_cast<double>(height) * sourceWidth / sourceHeight;
  return std::max(2, static_cast<int>(std::lround(exact / 2)) * 2);
}

int LadderPlanner::gopFrames(int gopMs, double fps) {
  return std::max(1, static_cast<int>(std::lround(gopMs * fps / 1000.0)));
}

std::optional<LadderPlan> LadderPlanner::plan(const SourceVideo& source, const PipelineSpec& spec,
                                              int cpus, std::string& error) {
  if (source.width <= 0 || source.height <= 0) {
    error = fmt::format("source size {}x{} unknown", source.width, source.height);
    return std::nullopt;
  }
  LadderPlan plan;
  plan.sourceFps = std::isfinite(source.fps) && source.fps > 0 ? source.fps : kDefaultFps;
  std::vector<size_t> order(spec.rungs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return spec.rungs[a].height > spec.rungs[b].height; });
  for (size_t index : order) {
    const RungSpec& rung = spec.rungs[index];
    if (!rung.sourceSize && rung.height >= source.height) {
      plan.dropped.push_back(fmt::format("{}p: not below the source's {} lines (no upscale)",
                                         rung.height, source.height));
      continue;
    }
    PlannedRung p;
    p.specIndex = index;
    p.name = rung.label;
    p.height = rung.sourceSize ? source.height : rung.height;
    p.width = rung.sourceSize   ? source.width
              : rung.width != 0 ? rung.width
                                : widthFor(rung.height, source.width, source.height);
    // NOTE: a rung asking 30 of a 29.97 source gets 29.97 and no fps node.
    p.reducesFps = rung.fps < plan.sourceFps - 0.01;
    p.fps = p.reducesFps ? rung.fps : plan.sourceFps;
    p.kbps = rung.kbps;
    p.gopFrames = gopFrames(spec.gopMs, p.fps);
    p.parent = static_cast<int>(plan.rungs.size()) - 1;
    plan.rungs.push_back(std::move(p));
  }
  if (plan.rungs.empty()) {
    error = fmt::format("no rung below the source's {} lines", source.height);
    return std::nullopt;
  }
  int threads = std::max(1, std::max(1, cpus) / static_cast<int>(plan.rungs.size()));
  for (auto& p : plan.rungs) {
    p.x264 = x264For(spec, spec.rungs[p.specIndex], p.gopFrames, threads);
  }
  return plan;
}

}  // namespace mixer
