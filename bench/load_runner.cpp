#include "bench/load_runner.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "bench/http_flv_viewer.hpp"
#include "bench/rtmp_viewer.hpp"

namespace bench {
namespace {

constexpr double kSteadyAfterMs = 2000;

}  // namespace

LoadRunner::LoadRunner(core::EventLoop& loop, LoadOptions options)
    : loop_(loop),
      options_(std::move(options)),
      rampTimer_(loop, [this] { startNext(); }),
      sampleTimer_(loop, [this] { sample(); }),
      endTimer_(loop, [this] { finish(); }) {
  viewers_.reserve(static_cast<size_t>(options_.viewers));
  for (int i = 0; i < options_.viewers; ++i) {
    if (options_.target.protocol == LoadProtocol::Rtmp)
      viewers_.push_back(std::make_unique<RtmpViewer>(loop_, options_.target, i));
    else
      viewers_.push_back(std::make_unique<HttpFlvViewer>(loop_, options_.target, i));
  }
}

double LoadRunner::cpuSeconds() const {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

LoadReport LoadRunner::run() {
  runStartMs_ = clockMs();
  cpuAtStart_ = cpuSeconds();
  startNext();
  sampleTimer_.start(1000, 1000);
  endTimer_.start(static_cast<uint64_t>(options_.durationSec * 1000));
  loop_.run();
  // NOTE: finish() closed every socket; run the loop again until their close (and any
  // cancelled connect) callbacks have fired, so none outlives its Viewer.
  loop_.run();
  return report_;
}

void LoadRunner::startNext() {
  // NOTE: libuv timers tick in whole ms; a sub-ms ramp starts several viewers per tick.
  const double ramp = options_.rampMs;
  const size_t perTick =
      ramp <= 0 ? viewers_.size() : std::max<size_t>(1, static_cast<size_t>(std::ceil(1.0 / ramp)));
  for (size_t i = 0; i < perTick && started_ < viewers_.size(); ++i) viewers_[started_++]->start();
  if (started_ == viewers_.size() && lastStartMs_ == 0) lastStartMs_ = clockMs();
  if (started_ < viewers_.size())
    rampTimer_.start(static_cast<uint64_t>(std::max(1.0, std::round(ramp))));
}

void LoadRunner::sample() {
  ++samples_;
  // NOTE: bitrates are measured from 2 s after the last viewer started, so the GOP
  // burst of a cached-GOP server and the ramp do not inflate or dilute them.
  if (windowStartMs_ < 0 && lastStartMs_ > 0 && clockMs() - lastStartMs_ >= kSteadyAfterMs) {
    windowStartMs_ = clockMs();
    for (auto& v : viewers_) v->stats().bytesAtWindow = v->stats().bytes;
  }
  int64_t newest = INT64_MIN;
  uint64_t bytes = 0;
  for (const auto& v : viewers_) {
    bytes += v->stats().bytes;
    if (v->stats().hasMedia) newest = std::max(newest, v->stats().newestTs);
  }
  std::vector<double> lags;
  int live = 0;
  for (auto& v : viewers_) {
    auto& s = v->stats();
    if (!s.hasMedia || s.endedAtMs >= 0) continue;
    ++live;
    const double lag = static_cast<double>(newest - s.newestTs);
    s.maxLagMs = std::max(s.maxLagMs, lag);
    if (options_.progress) lags.push_back(lag);
  }
  if (options_.progress) {
    const auto d = distributionOf(lags);
    std::printf("t=%2ds receiving=%d rx=%.1f Mbit/s lag p50=%.0f p95=%.0f max=%.0f ms\n", samples_,
                live, (bytes - bytesAtLastSample_) * 8.0 / 1e6, d.p50, d.p95, d.max);
    std::fflush(stdout);
  }
  bytesAtLastSample_ = bytes;
}

void LoadRunner::finish() {
  const double endMs = clockMs();
  const double cpu = cpuSeconds() - cpuAtStart_;
  std::vector<const ViewerStats*> stats;
  for (auto& v : viewers_) {
    if (v->stats().connectStartMs >= 0 && v->stats().firstKeyframeMs < 0 &&
        v->stats().error.empty())
      v->stats().error = v->stats().playStartMs >= 0 ? "played but no keyframe by the end"
                                                     : "not playing by the end";
    stats.push_back(&v->stats());
  }
  report_ = LoadReport::build(options_, stats, runStartMs_, windowStartMs_, endMs, cpu);
  rampTimer_.stop();
  sampleTimer_.stop();
  for (auto& v : viewers_) v->stop();
  loop_.stop();
}

}  // namespace bench
