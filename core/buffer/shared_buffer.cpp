#include "core/buffer/shared_buffer.hpp"

#include <algorithm>

namespace core {

SharedBuffer SharedBuffer::adopt(std::vector<uint8_t>&& bytes) {
  const size_t n = bytes.size();
  return SharedBuffer(std::make_shared<const std::vector<uint8_t>>(std::move(bytes)), 0, n);
}

SharedBuffer SharedBuffer::copyOf(std::span<const uint8_t> bytes) {
  return adopt(std::vector<uint8_t>(bytes.begin(), bytes.end()));
}

SharedBuffer SharedBuffer::copyOf(std::string_view text) {
  return adopt(std::vector<uint8_t>(text.begin(), text.end()));
}

SharedBuffer SharedBuffer::slice(size_t offset, size_t length) const {
  offset = std::min(offset, size_);
  length = std::min(length, size_ - offset);
  return SharedBuffer(storage_, offset_ + offset, length);
}

}  // namespace core
