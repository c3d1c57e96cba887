#include "core/log/log_limiter.hpp"

namespace core {
namespace {

// NOTE: keys are fixed phrases of the code, so a session has a few; past this many,
// new keys share the last slot rather than grow the table.
constexpr size_t kMaxKeys = 32;

}  // namespace

LogLimiter::LogLimiter(std::function<std::string()> prefix, std::function<uint64_t()> clockMs,
                       Options options)
    : prefix_(std::move(prefix)), clockMs_(std::move(clockMs)), options_(options) {}

bool LogLimiter::admit(std::string_view key, spdlog::level::level_enum level) {
  const uint64_t now = clockMs_();
  expire(now);
  KeyState* state = nullptr;
  for (KeyState& k : keys_) {
    if (k.key == key) state = &k;
  }
  if (!state && keys_.size() < kMaxKeys) {
    keys_.push_back({std::string(key), now});
    state = &keys_.back();
  } else if (!state) {
    state = &keys_.back();
  }
  if (state->written < options_.burst) {
    ++state->written;
    return true;
  }
  ++state->suppressed;
  ++suppressedTotal_;
  state->level = level;
  return false;
}

void LogLimiter::expire() {
  if (!keys_.empty()) expire(clockMs_());
}

void LogLimiter::expire(uint64_t now) {
  for (KeyState& k : keys_) {
    if (now - k.windowStart < options_.intervalMs) continue;
    report(k);
    k.windowStart = now;
    k.written = 0;
  }
}

void LogLimiter::flush() {
  for (KeyState& k : keys_) report(k);
}

void LogLimiter::report(KeyState& k) {
  if (k.suppressed == 0) return;
  spdlog::log(k.level, "{}: suppressed {} similar lines ({})", prefix_(), k.suppressed, k.key);
  k.suppressed = 0;
}

}  // namespace core
