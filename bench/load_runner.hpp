// LoadRunner: opens N viewers over a ramp, samples lag every second, ends the run
// after the duration and builds the LoadReport. Owned by main(); loop thread only.
#pragma once

#include <memory>
#include <vector>

#include "bench/load_options.hpp"
#include "bench/load_report.hpp"
#include "bench/viewer.hpp"
#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

namespace bench {

class LoadRunner {
 public:
  LoadRunner(core::EventLoop& loop, LoadOptions options);

  // Runs the loop until the duration is over; returns the report.
  LoadReport run();

 private:
  void startNext();
  void sample();
  void finish();
  double cpuSeconds() const;

  core::EventLoop& loop_;
  LoadOptions options_;
  std::vector<std::unique_ptr<Viewer>> viewers_;
  size_t started_ = 0;
  double runStartMs_ = 0;
  double lastStartMs_ = 0;     // when the last viewer started connecting
  double windowStartMs_ = -1;  // start of the steady window for bitrates; -1 = none yet
  double cpuAtStart_ = 0;
  int samples_ = 0;
  uint64_t bytesAtLastSample_ = 0;
  core::Timer rampTimer_;
  core::Timer sampleTimer_;
  core::Timer endTimer_;
  LoadReport report_;
};

}  // namespace bench
