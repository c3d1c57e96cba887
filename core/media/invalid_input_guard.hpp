// InvalidInputGuard: tells a publishing session when its input is mostly invalid: more
// than `maxInvalid` of the last `window` messages could not be used. Owned by the
// session; loop thread only; no allocation after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace core {

class InvalidInputGuard {
 public:
  // Defaults: more than half of the last 100 messages.
  explicit InvalidInputGuard(size_t window = 100, size_t maxInvalid = 50);

  // Records one message; true once more than maxInvalid of the last `window` messages
  // (of those seen, while fewer) were invalid.
  bool record(bool valid);

  size_t window() const { return ring_.size(); }
  size_t invalidInWindow() const { return invalid_; }
  size_t seenInWindow() const { return seen_ < ring_.size() ? seen_ : ring_.size(); }

 private:
  std::vector<uint8_t> ring_;  // 1 = invalid
  size_t maxInvalid_;
  size_t next_ = 0;
  uint64_t seen_ = 0;
  size_t invalid_ = 0;
};

}  // namespace core
