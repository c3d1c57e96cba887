// RateMeter: bytes per second over a sliding window of one-second buckets, for the
// streams API. Owned by whoever counts; loop thread; the caller passes the time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace core {

class RateMeter {
 public:
  void add(uint64_t bytes, uint64_t nowMs);
  // Average bits per second over the last complete kWindow seconds.
  uint64_t bitsPerSecond(uint64_t nowMs) const;
  uint64_t total() const { return total_; }

 private:
  static constexpr size_t kWindow = 5;
  void advance(uint64_t second);

  std::array<uint64_t, kWindow + 1> buckets_{};
  uint64_t currentSecond_ = 0;
  uint64_t total_ = 0;
};

}  // namespace core
