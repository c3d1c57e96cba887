// LatencyHistogram: fixed log-linear buckets of microseconds (HDR-like, 64 sub-buckets
// per power of two, so at most 1.6% error) for millions of samples without a
// per-sample vector. Owned by RoomLoadRunner; loop thread only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace bench {

class LatencyHistogram {
 public:
  void record(uint64_t us);
  void merge(const LatencyHistogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / count_ : 0; }
  // Nearest rank: the upper edge of the bucket holding the p-th percentile sample,
  // clamped to [min, max]. 0 when empty.
  uint64_t percentile(double p) const;

  static size_t bucketOf(uint64_t us);
  static uint64_t bucketLow(size_t index);
  static uint64_t bucketHigh(size_t index);  // inclusive

 private:
  static constexpr int kSubBits = 6;       // 64 sub-buckets
  static constexpr int kMaxExponent = 40;  // values are capped at 2^41 us (25 days)
  static constexpr size_t kBuckets = (kMaxExponent - kSubBits + 2) << kSubBits;

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace bench
