// LogLimiter: keeps the lines one session logs about what its peer sends in bounds: at
// most `burst` lines of a kind (a key) per interval; the rest are counted, and one line
// "suppressed K similar lines" follows when the interval ends (noticed at the next call)
// or at flush() when the session ends. Owned by one session (or stream); loop thread only.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace core {

class LogLimiter {
 public:
  struct Options {
    size_t burst = 5;              // lines of one key written per interval
    uint64_t intervalMs = 10'000;  // length of an interval
  };
  // `prefix` names the session ("rtmp 1.2.3.4:5678 live/demo"), asked only when a line
  // is written; `clockMs` gives monotonic milliseconds (EventLoop::nowMs in a session).
  LogLimiter(std::function<std::string()> prefix, std::function<uint64_t()> clockMs,
             Options options);
  LogLimiter(std::function<std::string()> prefix, std::function<uint64_t()> clockMs)
      : LogLimiter(std::move(prefix), std::move(clockMs), Options{}) {}

  // Writes "<prefix>: <message>" unless `key` already had `burst` lines this interval.
  // `key` is a short fixed phrase naming the kind of line ("bad media message").
  template <typename... Args>
  void log(spdlog::level::level_enum level, std::string_view key,
           fmt::format_string<Args...> format, Args&&... args) {
    if (!spdlog::default_logger_raw()->should_log(level)) return;
    if (!admit(key, level)) return;
    spdlog::log(level, "{}: {}", prefix_(), fmt::format(format, std::forward<Args>(args)...));
  }
  template <typename... Args>
  void warn(std::string_view key, fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::warn, key, format, std::forward<Args>(args)...);
  }
  template <typename... Args>
  void debug(std::string_view key, fmt::format_string<Args...> format, Args&&... args) {
    log(spdlog::level::debug, key, format, std::forward<Args>(args)...);
  }

  // Writes "<prefix>: suppressed K similar lines (<key>)" for every key whose interval
  // has ended with lines not written, and starts its next interval. Cheap: a session may
  // call it on every read so the count comes out even when nothing else is logged.
  void expire();
  // The same line for every key with lines not written yet. Call when the session ends.
  void flush();
  // Lines not written since construction.
  uint64_t suppressedTotal() const { return suppressedTotal_; }

 private:
  struct KeyState {
    std::string key;
    uint64_t windowStart = 0;
    size_t written = 0;       // lines written in the current window
    uint64_t suppressed = 0;  // lines not written in the current window
    spdlog::level::level_enum level = spdlog::level::warn;  // of the last suppressed line
  };
  // True when a line of `key` may be written now; else counts it.
  bool admit(std::string_view key, spdlog::level::level_enum level);
  void expire(uint64_t now);
  void report(KeyState& k);

  std::function<std::string()> prefix_;
  std::function<uint64_t()> clockMs_;
  Options options_;
  std::vector<KeyState> keys_;  // a handful: one per kind of line a session logs
  uint64_t suppressedTotal_ = 0;
};

}  // namespace core
