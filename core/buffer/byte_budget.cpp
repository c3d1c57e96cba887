#include "core/buffer/byte_budget.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace core {

ByteBudget::ByteBudget(std::string name, size_t limit, ByteBudget* parent)
    : name_(std::move(name)), limit_(limit), parent_(parent) {}

bool ByteBudget::take(size_t n, const ByteBudget** refusedBy) {
  for (ByteBudget* b = this; b; b = b->parent_) {
    if (n > b->limit_ - std::min(b->used_, b->limit_)) {
      if (refusedBy) *refusedBy = b;
      return false;
    }
  }
  for (ByteBudget* b = this; b; b = b->parent_) {
    b->used_ += n;
    b->peak_ = std::max(b->peak_, b->used_);
  }
  return true;
}

size_t ByteBudget::available() const {
  size_t room = SIZE_MAX;
  for (const ByteBudget* b = this; b; b = b->parent_)
    room = std::min(room, b->limit_ - std::min(b->used_, b->limit_));
  return room;
}

void ByteBudget::give(size_t n) {
  for (ByteBudget* b = this; b; b = b->parent_) b->used_ -= std::min(n, b->used_);
}

void ByteBudget::moveToAncestor(size_t n, ByteBudget& to) {
  for (ByteBudget* b = this; b && b != &to; b = b->parent_) b->used_ -= std::min(n, b->used_);
}

}  // namespace core
