// PriorityRateLimiter: a room's delivery rate limit (R6). Messages offered during
// a tick wait; at each tick at most the available budget is delivered, highest
// priority first and, within one priority, in random order; the rest are dropped
// (not delivered, not kept in history; their senders were already told success).
// The budget is a token bucket refilled at `ratePerSecond` and capped at one
// second's worth, so delivery averages at most `ratePerSecond` per second.
// Owned by a Room; loop thread; pure (the caller passes time and randomness).
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace core {

enum class Priority : uint8_t { High = 0, Normal = 1, Low = 2, Lowest = 3 };

template <typename Message>
class PriorityRateLimiter {
 public:
  struct Result {
    std::vector<Message> delivered;  // in delivery order
    std::vector<Message> dropped;
  };

  explicit PriorityRateLimiter(double ratePerSecond)
      : rate_(ratePerSecond), tokens_(ratePerSecond) {}

  void setRate(double ratePerSecond) {
    rate_ = ratePerSecond;
    tokens_ = std::min(tokens_, rate_);
  }
  double rate() const { return rate_; }

  void offer(Priority priority, Message message) {
    pending_.push_back({priority, std::move(message)});
  }
  bool idle() const { return pending_.empty(); }

  // Delivers what the budget allows at `nowMs`; drops the rest.
  template <typename Rng>
  Result tick(int64_t nowMs, Rng& rng) {
    if (lastMs_ >= 0 && nowMs > lastMs_)
      tokens_ = std::min(rate_, tokens_ + rate_ * static_cast<double>(nowMs - lastMs_) / 1000.0);
    lastMs_ = nowMs;
    Result out;
    if (pending_.empty()) return out;
    // Random order first, then a stable sort by priority: equal priorities stay
    // shuffled, so which of them survive the cut is random.
    std::shuffle(pending_.begin(), pending_.end(), rng);
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Entry& a, const Entry& b) { return a.priority < b.priority; });
    const size_t budget = static_cast<size_t>(std::max(0.0, tokens_));
    const size_t n = std::min(budget, pending_.size());
    tokens_ -= static_cast<double>(n);
    for (size_t i = 0; i < pending_.size(); ++i)
      (i < n ? out.delivered : out.dropped).push_back(std::move(pending_[i].message));
    pending_.clear();
    return out;
  }

 private:
  struct Entry {
    Priority priority;
    Message message;
  };

  double rate_;
  double tokens_;
  int64_t lastMs_ = -1;
  std::vector<Entry> pending_;
};

}  // namespace core
