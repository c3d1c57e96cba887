// Wall-clock time (Unix ms) for what must be stamped with real time (HLS
// program date times, room events). The loop's own clock (EventLoop::nowMs) is
// monotonic and is the one to use for timeouts. Any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

namespace core {

inline int64_t wallClockMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// `unixMs` in UTC with strftime's `format`, then ".mmm" and `suffix` when
// `withMillis` (ISO 8601: formatUtc(t, "%Y-%m-%dT%H:%M:%S", true, "Z")).
inline std::string formatUtc(int64_t unixMs, const char* format, bool withMillis = false,
                             const char* suffix = "") {
  const time_t seconds = static_cast<time_t>(unixMs / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[64];
  const size_t n = std::strftime(buf, sizeof buf, format, &tm);
  std::string out(buf, n);
  if (withMillis) {
    char ms[8];
    std::snprintf(ms, sizeof ms, ".%03d", static_cast<int>(unixMs % 1000));
    out += ms;
  }
  return out + suffix;
}

// "2026-11-26T11:06:13.123Z"
inline std::string isoUtc(int64_t unixMs) {
  return formatUtc(unixMs, "%Y-%m-%dT%H:%M:%S", true, "Z");
}

}  // namespace core
