// BitReader: MSB-first bit reads over a byte span, with the Exp-Golomb codes of
// H.264 9.1. Reads past the end set failed() and return 0; callers check ok()
// once after a group of reads. Used by the codec config parsers; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace core {

class BitReader {
 public:
  explicit BitReader(std::span<const uint8_t> data) : data_(data) {}

  bool ok() const { return !failed_; }

  uint32_t bits(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 1) | bit();
    return v;
  }
  bool flag() { return bit() != 0; }

  // ue(v), H.264 9.1. More than 31 leading zeros cannot be a valid 32-bit code.
  uint32_t ue() {
    int zeros = 0;
    while (ok() && bit() == 0) {
      if (++zeros > 31) {
        failed_ = true;
        return 0;
      }
    }
    if (!ok()) return 0;
    return static_cast<uint32_t>((uint64_t(1) << zeros) - 1 + bits(zeros));
  }

  // se(v), H.264 9.1.1.
  int64_t se() {
    const uint32_t k = ue();
    return (k & 1) ? int64_t(k / 2) + 1 : -int64_t(k / 2);
  }

 private:
  uint32_t bit() {
    if (pos_ >= data_.size() * 8) {
      failed_ = true;
      return 0;
    }
    const uint32_t b = (data_[pos_ / 8] >> (7 - pos_ % 8)) & 1;
    ++pos_;
    return b;
  }

  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace core
