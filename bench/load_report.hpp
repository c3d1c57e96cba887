// LoadReport: turns the viewers' final counters into the human summary and the
// one-line machine-readable RESULT JSON of roomcast_load. Plain values; main thread.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "bench/load_options.hpp"
#include "bench/viewer.hpp"

namespace bench {

struct Distribution {
  size_t count = 0;
  double min = 0, p50 = 0, p95 = 0, max = 0;
};

// Nearest-rank percentiles over `values` (sorted in place). Empty -> count 0.
Distribution distributionOf(std::vector<double>& values);

struct LoadReport {
  LoadOptions options;
  double runSeconds = 0;        // first connect start to end of run
  double windowSeconds = 0;     // steady window of the bitrates; 0 = whole connections
  double clientCpuSeconds = 0;  // user + system of this process over the run
  int requested = 0;
  int played = 0;  // got Play.Start (RTMP) / a 200 head (HTTP-FLV)
  int gotKeyframe = 0;
  int neverStarted = 0;  // no keyframe by the end of the run
  int disconnectedEarly = 0;
  double totalMbps = 0;
  Distribution playStartMs, firstKeyframeMs, bitrateKbps, lagEndMs, lagMaxMs;
  std::vector<std::pair<std::string, int>> errors;  // reason -> viewers, most common first

  // Aggregates every viewer; lag is measured against the newest timestamp any viewer got.
  static LoadReport build(const LoadOptions& options, const std::vector<const ViewerStats*>& stats,
                          double runStartMs, double windowStartMs, double runEndMs,
                          double cpuSeconds);
  void print(std::FILE* out) const;
  std::string json() const;
  std::string readerName() const;  // "eager" or "batched(LOWAT)"
};

}  // namespace bench
