#include "bench/room/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench {

size_t LatencyHistogram::bucketOf(uint64_t us) {
  constexpr uint64_t kCap = (uint64_t{1} << (kMaxExponent + 1)) - 1;
  us = std::min(us, kCap);
  if (us < (uint64_t{1} << kSubBits)) return static_cast<size_t>(us);
  // NOTE: exponent e >= kSubBits: the top kSubBits+1 bits pick the bucket, so a
  // bucket of [2^e, 2^(e+1)) is 2^(e-kSubBits) wide.
  const int e = 63 - std::countl_zero(us);
  const uint64_t sub = (us >> (e - kSubBits)) & ((uint64_t{1} << kSubBits) - 1);
  return (static_cast<size_t>(e - kSubBits + 1) << kSubBits) + static_cast<size_t>(sub);
}

uint64_t LatencyHistogram::bucketLow(size_t index) {
  if (index < (size_t{1} << kSubBits)) return index;
  const int e = static_cast<int>(index >> kSubBits) + kSubBits - 1;
  const uint64_t sub = index & ((size_t{1} << kSubBits) - 1);
  return ((uint64_t{1} << kSubBits) + sub) << (e - kSubBits);
}

uint64_t LatencyHistogram::bucketHigh(size_t index) {
  if (index < (size_t{1} << kSubBits)) return index;
  const int e = static_cast<int>(index >> kSubBits) + kSubBits - 1;
  return bucketLow(index) + (uint64_t{1} << (e - kSubBits)) - 1;
}

void LatencyHistogram::record(uint64_t us) {
  ++buckets_[bucketOf(us)];
  ++count_;
  sum_ += us;
  min_ = std::min(min_, us);
  max_ = std::max(max_, us);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBuckets; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() {
  *this = LatencyHistogram();
}

uint64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  const uint64_t rank = std::clamp<uint64_t>(
      static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_))), 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(bucketHigh(i), min_, max_);
  }
  return max_;
}

}  // namespace bench
