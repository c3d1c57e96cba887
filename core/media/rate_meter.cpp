#include "core/media/rate_meter.hpp"

namespace core {

void RateMeter::advance(uint64_t second) {
  if (second <= currentSecond_) return;
  const uint64_t steps = second - currentSecond_;
  for (uint64_t i = 1; i <= steps && i <= buckets_.size(); ++i)
    buckets_[(currentSecond_ + i) % buckets_.size()] = 0;
  currentSecond_ = second;
}

void RateMeter::add(uint64_t bytes, uint64_t nowMs) {
  advance(nowMs / 1000);
  buckets_[currentSecond_ % buckets_.size()] += bytes;
  total_ += bytes;
}

uint64_t RateMeter::bitsPerSecond(uint64_t nowMs) const {
  const uint64_t second = nowMs / 1000;
  uint64_t sum = 0;
  // The kWindow complete seconds before the current one; a bucket is only valid
  // if it was reached by advance() (s <= currentSecond_) and not yet recycled.
  for (uint64_t k = 1; k <= kWindow && k <= second; ++k) {
    const uint64_t s = second - k;
    if (s <= currentSecond_ && currentSecond_ - s < buckets_.size())
      sum += buckets_[s % buckets_.size()];
  }
  return sum * 8 / kWindow;
}

}  // namespace core
