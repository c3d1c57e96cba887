// SharedBuffer: immutable, refcounted bytes with cheap slicing.
// Contract: the bytes are NEVER mutated once a SharedBuffer exists; copies and
// slices share storage, so one serialized packet can be written to N sockets.
// Not thread-confined (the refcount is atomic), but the bytes are read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace core {

class SharedBuffer {
 public:
  SharedBuffer() = default;

  // Takes ownership of the vector; no copy.
  static SharedBuffer adopt(std::vector<uint8_t>&& bytes);
  static SharedBuffer copyOf(std::span<const uint8_t> bytes);
  static SharedBuffer copyOf(std::string_view text);

  const uint8_t* data() const { return storage_ ? storage_->data() + offset_ : nullptr; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> span() const { return {data(), size_}; }
  std::string_view view() const { return {reinterpret_cast<const char*>(data()), size_}; }
  uint8_t operator[](size_t i) const { return data()[i]; }

  // Same bytes (not the same storage).
  bool equals(const SharedBuffer& other) const {
    return size_ == other.size_ && (size_ == 0 || std::memcmp(data(), other.data(), size_) == 0);
  }

  // A view of [offset, offset+length) sharing the same storage. Clamped to size().
  SharedBuffer slice(size_t offset, size_t length = SIZE_MAX) const;

 private:
  SharedBuffer(std::shared_ptr<const std::vector<uint8_t>> storage, size_t offset, size_t size)
      : storage_(std::move(storage)), offset_(offset), size_(size) {}

  std::shared_ptr<const std::vector<uint8_t>> storage_;
  size_t offset_ = 0;
  size_t size_ = 0;
};

}  // namespace core
