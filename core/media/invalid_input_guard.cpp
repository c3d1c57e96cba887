#include "core/media/invalid_input_guard.hpp"

#include <algorithm>

namespace core {

InvalidInputGuard::InvalidInputGuard(size_t window, size_t maxInvalid)
    : ring_(std::max<size_t>(window, 1), 0), maxInvalid_(maxInvalid) {}

bool InvalidInputGuard::record(bool valid) {
  invalid_ -= ring_[next_];  // the message leaving the window
  ring_[next_] = valid ? 0 : 1;
  invalid_ += ring_[next_];
  next_ = (next_ + 1) % ring_.size();
  ++seen_;
  return invalid_ > maxInvalid_;
}

}  // namespace core
