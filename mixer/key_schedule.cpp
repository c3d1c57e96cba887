#include "mixer/key_schedule.hpp"

#include <algorithm>

namespace mixer {

namespace {

int64_t floorDivMs(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

KeySchedule::KeySchedule(KeyframePolicy policy, int gopMs, size_t rungs)
    : policy_(policy), gopMs_(std::max(1, gopMs)), cursors_(rungs) {}

bool KeySchedule::isKey(int64_t pts, bool sourceKey) const {
  if (requested_ || !lastKey_) return true;
  if (policy_ == KeyframePolicy::Fixed)
    return floorDivMs(pts, gopMs_) != floorDivMs(*lastKey_, gopMs_);
  return sourceKey || pts - *lastKey_ >= gopMs_;
}

bool KeySchedule::mark(int64_t pts, bool sourceKey) {
  std::lock_guard lock(mutex_);
  // NOTE: decoded frames come in presentation order; a pts at or below the last one
  // (a glitch the hub's clock let through) cannot start a GOP the rungs agree on.
  if (lastMarked_ && pts <= *lastMarked_) return false;
  lastMarked_ = pts;
  if (!isKey(pts, sourceKey)) return false;
  requested_ = false;
  lastKey_ = pts;
  ++keyCount_;
  keys_.push_back(pts);
  prune();
  return true;
}

void KeySchedule::requestKeyframe() {
  std::lock_guard lock(mutex_);
  requested_ = true;
}

std::optional<int64_t> KeySchedule::lastKeyAtOrBelow(int64_t above, int64_t pts) const {
  // The largest key k with above < k <= pts.
  auto it = std::upper_bound(keys_.begin(), keys_.end(), pts);
  if (it == keys_.begin()) return std::nullopt;
  int64_t k = *std::prev(it);
  if (k <= above) return std::nullopt;
  return k;
}

KeySchedule::Decision KeySchedule::decide(size_t rung, int64_t pts) {
  std::lock_guard lock(mutex_);
  if (rung >= cursors_.size()) return Decision::Skip;
  Cursor& c = cursors_[rung];
  bool waiting = !c.started || (c.gapAt && pts >= *c.gapAt);
  int64_t above = c.usedUpTo;
  if (waiting && c.gapAt && pts >= *c.gapAt) above = std::max(above, *c.gapAt);
  auto key = lastKeyAtOrBelow(above, pts);
  if (!key) return waiting ? Decision::Skip : Decision::Delta;
  c.started = true;
  c.usedUpTo = *key;
  if (c.gapAt && pts >= *c.gapAt) c.gapAt.reset();
  prune();
  return Decision::Key;
}

bool KeySchedule::dropUntilNextKey(size_t rung, int64_t pts) {
  std::lock_guard lock(mutex_);
  if (rung >= cursors_.size()) return false;
  Cursor& c = cursors_[rung];
  const bool fresh = !c.gapAt;
  if (!c.gapAt || pts < *c.gapAt) c.gapAt = pts;
  return fresh;
}

void KeySchedule::prune() {
  // A key is needed while some cursor may still use it: above its consumed keys and
  // above its gap.
  int64_t needed = INT64_MAX;
  for (const Cursor& c : cursors_) {
    int64_t bound = c.usedUpTo;
    if (c.gapAt) bound = std::max(bound, *c.gapAt);
    needed = std::min(needed, bound);
  }
  while (keys_.size() > 1 && keys_.front() <= needed) keys_.pop_front();
  while (keys_.size() > kMaxKeys) keys_.pop_front();
}

std::vector<int64_t> KeySchedule::keys() const {
  std::lock_guard lock(mutex_);
  return {keys_.begin(), keys_.end()};
}

uint64_t KeySchedule::keyCount() const {
  std::lock_guard lock(mutex_);
  return keyCount_;
}

std::optional<int64_t> KeySchedule::lastKey() const {
  std::lock_guard lock(mutex_);
  return lastKey_;
}

}  // namespace mixer
