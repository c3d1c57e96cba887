// PriorityRateLimiter: a room's delivery rate limit (R6). A token bucket refilled
// at `ratePerSecond` and capped at one second's worth, so delivery averages at
// most `ratePerSecond` per second. Under the limit a message goes out at once;
// over it messages wait in a queue of one second's worth, highest priority
// first (FIFO within a priority). When the queue is full the lowest priority
// loses, chosen at random among equals (the newcomer included); a message that
// waited longer than `maxWaitMs` is dropped. Dropped messages are not delivered
// and not kept in history (their senders were already told success).
// Owned by a Room; loop thread; pure (the caller passes time and randomness).
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <vector>

namespace room {

enum class Priority : uint8_t { High = 0, Normal = 1, Low = 2, Lowest = 3 };
inline constexpr size_t kPriorityCount = 4;

template <typename Message>
class PriorityRateLimiter {
 public:
  struct Result {
    std::vector<Message> delivered;  // in delivery order
    std::vector<Message> dropped;
  };

  explicit PriorityRateLimiter(double ratePerSecond, int64_t maxWaitMs = 1000)
      : rate_(ratePerSecond), tokens_(ratePerSecond), maxWaitMs_(maxWaitMs) {}

  void setRate(double ratePerSecond) {
    rate_ = ratePerSecond;
    tokens_ = std::min(tokens_, rate_);
  }
  double rate() const { return rate_; }
  size_t queued() const {
    size_t n = 0;
    for (const auto& q : queues_) n += q.size();
    return n;
  }
  bool idle() const { return queued() == 0; }

  // Queues `message`; if the queue is full, one message of the lowest priority
  // present (the newcomer included) is dropped at random and returned.
  template <typename Rng>
  std::optional<Message> offer(Priority priority, Message message, int64_t nowMs, Rng& rng) {
    auto& mine = queues_[static_cast<size_t>(priority)];
    mine.push_back({std::move(message), nowMs});
    if (queued() <= capacity()) return std::nullopt;
    size_t lowest = kPriorityCount - 1;
    while (queues_[lowest].empty()) --lowest;
    auto& victims = queues_[lowest];
    std::uniform_int_distribution<size_t> pick(0, victims.size() - 1);
    auto it = victims.begin() + static_cast<std::ptrdiff_t>(pick(rng));
    Message out = std::move(it->message);
    victims.erase(it);
    return out;
  }

  // Delivers what the budget allows at `nowMs` (highest priority first) and
  // drops what waited too long.
  Result take(int64_t nowMs) {
    refill(nowMs);
    Result out;
    for (auto& q : queues_) {
      while (!q.empty() && nowMs - q.front().offeredMs > maxWaitMs_) {
        out.dropped.push_back(std::move(q.front().message));
        q.pop_front();
      }
    }
    for (auto& q : queues_) {
      while (!q.empty() && tokens_ >= 1.0) {
        tokens_ -= 1.0;
        out.delivered.push_back(std::move(q.front().message));
        q.pop_front();
      }
    }
    return out;
  }

  // When take() can next deliver something (nowMs if it can now); -1 if idle.
  int64_t nextDueMs(int64_t nowMs) const {
    if (idle()) return -1;
    if (tokens_ >= 1.0 || rate_ <= 0) return nowMs;
    return nowMs + static_cast<int64_t>((1.0 - tokens_) * 1000.0 / rate_) + 1;
  }

 private:
  struct Entry {
    Message message;
    int64_t offeredMs;
  };

  size_t capacity() const {
    return std::max<size_t>(1,
                            static_cast<size_t>(rate_ * static_cast<double>(maxWaitMs_) / 1000.0));
  }
  void refill(int64_t nowMs) {
    if (lastMs_ >= 0 && nowMs > lastMs_)
      tokens_ = std::min(rate_, tokens_ + rate_ * static_cast<double>(nowMs - lastMs_) / 1000.0);
    if (nowMs > lastMs_) lastMs_ = nowMs;
  }

  double rate_;
  double tokens_;
  int64_t maxWaitMs_;
  int64_t lastMs_ = -1;
  std::deque<Entry> queues_[kPriorityCount];
};

}  // namespace room
