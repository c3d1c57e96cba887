// RoomLoadReport: the summary and the one-line RESULT JSON of roomcast-room-load,
// built from RoomLoadStats at the end of a run. Plain values; main thread.
#pragma once

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench/room/room_load_options.hpp"
#include "bench/room/room_member.hpp"

namespace bench {

struct RoomLoadReport {
  RoomLoadOptions options;
  int connections = 0, joined = 0, failed = 0, dropped = 0;
  double rampSeconds = 0;  // first connect start -> last join (or join timeout)
  double joinP50Ms = 0, joinP99Ms = 0, joinMaxMs = 0;
  double windowSeconds = 0;
  uint64_t deliveries = 0;
  double deliveriesPerSec = 0;
  uint64_t sent = 0, sentInWindow = 0, acked = 0, ackErrors = 0, malformed = 0;
  double deliveriesPerMessage = 0;  // deliveries / sentInWindow
  int membersAtEnd = 0;             // joined and still connected at the window's end
  double latencyMs[6] = {};         // p50 p90 p99 p99.9 max mean
  double loopLagMs[3] = {};         // client loop: late pacing ticks, p50 p99 max
  double clientCpuWindow = 0;       // user+system of this process over the window
  double clientCpuTotal = 0;
  std::vector<std::pair<std::string, int>> errors;  // most common first

  static RoomLoadReport build(const RoomLoadOptions& options, RoomLoadStats& stats,
                              double rampSeconds, double windowSeconds, int membersAtEnd,
                              double clientCpuWindow, double clientCpuTotal);
  void print(std::FILE* out) const;
  std::string json() const;
};

}  // namespace bench
