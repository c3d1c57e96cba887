// Wall-clock time (Unix ms) for what must be stamped with real time (HLS
// program date times, room events). The loop's own clock (EventLoop::nowMs) is
// monotonic and is the one to use for timeouts. Any thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace core {

inline int64_t wallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace core
