// ByteReader / ByteWriter: bounds-checked big-endian reads and appending writes
// over plain byte spans. Used by every parser and serializer in core/format and
// protocols; no I/O, no allocation beyond the writer's vector.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace core {

// Reads never go past the end: a read that would overflow sets failed() and
// returns 0 / an empty span; callers check ok() once after a group of reads.
class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }
  bool ok() const { return !failed_; }
  bool failed() const { return failed_; }

  uint8_t u8() { return static_cast<uint8_t>(readBE(1)); }
  uint16_t u16() { return static_cast<uint16_t>(readBE(2)); }
  uint32_t u24() { return static_cast<uint32_t>(readBE(3)); }
  uint32_t u32() { return static_cast<uint32_t>(readBE(4)); }
  uint64_t u64() { return readBE(8); }
  uint32_t u32le() {
    auto b = bytes(4);
    return b.size() == 4 ? (b[0] | b[1] << 8 | b[2] << 16 | uint32_t(b[3]) << 24) : 0;
  }
  double f64() {
    uint64_t bits = u64();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }
  std::span<const uint8_t> bytes(size_t n) {
    if (n > remaining()) {
      failed_ = true;
      pos_ = bytes_.size();
      return {};
    }
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view string(size_t n) {
    auto b = bytes(n);
    return {reinterpret_cast<const char*>(b.data()), b.size()};
  }
  void skip(size_t n) { bytes(n); }
  std::span<const uint8_t> rest() { return bytes(remaining()); }

 private:
  uint64_t readBE(size_t n) {
    auto b = bytes(n);
    uint64_t v = 0;
    for (uint8_t byte : b) v = (v << 8) | byte;
    return v;
  }

  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
  bool failed_ = false;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  explicit ByteWriter(size_t reserve) { out_.reserve(reserve); }

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { writeBE(v, 2); }
  void u24(uint32_t v) { writeBE(v, 3); }
  void u32(uint32_t v) { writeBE(v, 4); }
  void u64(uint64_t v) { writeBE(v, 8); }
  void u32le(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void f64(double d) {
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    u64(bits);
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  // NOTE: inserted as bytes, not chars: a char range into a byte vector is copied
  // one element at a time, the same type is one memmove.
  void string(std::string_view s) {
    const auto* p = reinterpret_cast<const uint8_t*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }

  size_t size() const { return out_.size(); }
  std::vector<uint8_t>& vector() { return out_; }
  std::vector<uint8_t> take() { return std::move(out_); }

 private:
  void writeBE(uint64_t v, size_t n) {
    for (size_t i = n; i-- > 0;) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }

  std::vector<uint8_t> out_;
};

}  // namespace core
