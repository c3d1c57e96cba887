// BasicRateMeter: an amount (bytes, frames) per second over a sliding window of
// one-second buckets, for the streams API and a stream's health. Owned by whoever
// counts; loop thread; the caller passes the time (monotonic ms).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace core {

template <size_t kWindow>
class BasicRateMeter {
 public:
  static_assert(kWindow >= 1);

  void add(uint64_t amount, uint64_t nowMs) {
    if (!started_) {
      started_ = true;
      firstMs_ = nowMs;
      currentSecond_ = nowMs / 1000;
    }
    advance(nowMs / 1000);
    buckets_[currentSecond_ % buckets_.size()] += amount;
    total_ += amount;
  }

  // Average per second over the last `seconds` (1..kWindow) complete seconds
  // before `nowMs`. Seconds before the first add() are not part of the window: a
  // stream 3 s old is measured over those 3 s, not diluted over 10.
  double perSecond(uint64_t nowMs, size_t seconds = kWindow) const {
    const Sum s = sum(nowMs, seconds);
    return s.seconds == 0 ? 0.0 : static_cast<double>(s.amount) / static_cast<double>(s.seconds);
  }
  uint64_t bitsPerSecond(uint64_t nowMs, size_t seconds = kWindow) const {
    const Sum s = sum(nowMs, seconds);
    return s.seconds == 0 ? 0 : s.amount * 8 / s.seconds;
  }
  uint64_t total() const { return total_; }

 private:
  struct Sum {
    uint64_t amount = 0;
    uint64_t seconds = 0;
  };

  void advance(uint64_t second) {
    if (second <= currentSecond_) return;
    const uint64_t steps = second - currentSecond_;
    for (uint64_t i = 1; i <= steps && i <= buckets_.size(); ++i)
      buckets_[(currentSecond_ + i) % buckets_.size()] = 0;
    currentSecond_ = second;
  }

  Sum sum(uint64_t nowMs, size_t seconds) const {
    Sum out;
    if (!started_) return out;
    const uint64_t second = nowMs / 1000;
    seconds = std::clamp<size_t>(seconds, 1, kWindow);
    // The complete seconds before the current one that began at or after the first
    // add(); a bucket is only valid if it was reached by advance() (s <=
    // currentSecond_) and not yet recycled.
    for (uint64_t k = 1; k <= seconds && k <= second; ++k) {
      const uint64_t s = second - k;
      if (s * 1000 < firstMs_) break;
      ++out.seconds;
      if (s <= currentSecond_ && currentSecond_ - s < buckets_.size())
        out.amount += buckets_[s % buckets_.size()];
    }
    return out;
  }

  std::array<uint64_t, kWindow + 1> buckets_{};
  bool started_ = false;
  uint64_t firstMs_ = 0;
  uint64_t currentSecond_ = 0;
  uint64_t total_ = 0;
};

// Bytes per second over 5 s: the streams API's bitrate in and out.
using RateMeter = BasicRateMeter<5>;

}  // namespace core
