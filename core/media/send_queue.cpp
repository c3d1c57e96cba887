#include "core/media/send_queue.hpp"

#include <algorithm>

namespace core {

SendQueue::Verdict SendQueue::push(Item item, int64_t inFlightOldestDue,
                                   std::span<const SharedBuffer> more) {
  if (!item.mandatory) newestDts_ = std::max(newestDts_, item.dts);
  item.due = item.mandatory ? kNever : item.dts;
  item.continuation = false;
  if (item.kind == MediaKind::Video) sawVideo_ = true;

  // NOTE: a mandatory item moves neither the newest dts nor the oldest due time, so
  // the time limits stand as the last media push left them: only its bytes count.
  const bool timed = !item.mandatory;
  if (!bursting_ && timed) {
    const int64_t oldest = std::min(oldestQueuedDue(), inFlightOldestDue);
    if (oldest != kNever && newestDts_ - oldest > limits_.hardMs) return Verdict::Overflow;
  }

  if (waitKeyframe_ && !item.mandatory) {
    // Resume at a video keyframe; a stream without video resumes at any audio frame.
    const bool resume =
        item.kind == MediaKind::Video ? item.keyframe : item.kind == MediaKind::Audio && !sawVideo_;
    if (!resume) {
      if (dropMedia(item)) {  // its leading bytes, without the later parts
        bytes_ += item.bytes.size();
        items_.push_back(std::move(item));
      }
      return Verdict::Dropped;
    }
    waitKeyframe_ = false;
  }

  append(std::move(item), more);
  if (bursting_) return Verdict::Queued;

  const int64_t oldestQueued = timed ? oldestQueuedDue() : kNever;
  const int64_t queuedSpan = oldestQueued == kNever ? 0 : newestDts_ - oldestQueued;
  if (queuedSpan > limits_.softMs || bytes_ > limits_.maxBytes) {
    ++episodes_;
    dropDroppable();
    // A keyframe that just arrived survives and is a fine place to resume (the
    // back is it or its last part, which carries the same facts).
    const bool resumed = !items_.empty() && !items_.back().mandatory &&
                         ((items_.back().kind == MediaKind::Video && items_.back().keyframe) ||
                          (items_.back().kind == MediaKind::Audio && !sawVideo_));
    waitKeyframe_ = !resumed;
    if (bytes_ > limits_.maxBytes) return Verdict::Overflow;  // mandatory bytes alone
    return Verdict::Dropped;
  }
  return Verdict::Queued;
}

void SendQueue::append(Item item, std::span<const SharedBuffer> more) {
  bytes_ += item.bytes.size();
  items_.push_back(std::move(item));
  if (more.empty()) return;
  Item part;
  {
    const Item& first = items_.back();
    part.dts = first.dts;
    part.due = first.due;
    part.kind = first.kind;
    part.keyframe = first.keyframe;
    part.mandatory = first.mandatory;
    part.continuation = true;
  }
  for (const SharedBuffer& bytes : more) {
    part.bytes = bytes;
    bytes_ += bytes.size();
    items_.push_back(part);
  }
}

int64_t SendQueue::oldestQueuedDue() const {
  // Media items are queued in due order; mandatory ones (kNever) are skipped.
  for (const auto& it : items_)
    if (it.due != kNever) return it.due;
  return kNever;
}

int64_t SendQueue::oldestDue(const std::vector<Item>& items) {
  for (const auto& it : items)
    if (it.due != kNever) return it.due;
  return kNever;
}

void SendQueue::endBurst() {
  bursting_ = false;
  for (auto& it : items_)
    if (it.due != kNever) it.due = newestDts_;
}

void SendQueue::dropDroppable() {
  // Keep mandatory packets and the newest packet if it is a place to resume, in
  // order, compacted in place; a packet's continuations share its fate.
  size_t newest = items_.size();
  while (newest > 0 && items_[newest - 1].continuation) --newest;
  if (newest > 0) --newest;  // the newest packet's first item
  size_t kept = 0;
  bool keepParts = false;
  for (size_t i = 0; i < items_.size(); ++i) {
    auto& it = items_[i];
    const bool resumable =
        (it.kind == MediaKind::Video && it.keyframe) || (it.kind == MediaKind::Audio && !sawVideo_);
    if (it.continuation ? keepParts : it.mandatory || (i == newest && resumable)) {
      keepParts = true;
      if (kept != i) items_[kept] = std::move(it);
      ++kept;
      continue;
    }
    bytes_ -= it.bytes.size();
    keepParts = false;
    if (it.continuation) continue;  // counted with its packet
    if (dropMedia(it)) {
      bytes_ += it.bytes.size();
      if (kept != i) items_[kept] = std::move(it);
      ++kept;
    }
  }
  items_.resize(kept);
}

bool SendQueue::dropMedia(Item& item) {
  ++dropped_;
  if (item.leadBytes == 0) return false;
  item.bytes = item.bytes.slice(0, item.leadBytes);
  item.leadBytes = 0;
  item.mandatory = true;
  item.due = kNever;
  return true;
}

void SendQueue::noteSent(int64_t newestDts, bool video) {
  newestDts_ = std::max(newestDts_, newestDts);
  if (video) sawVideo_ = true;
}

void SendQueue::takeAll(std::vector<Item>& out) {
  out.clear();
  out.swap(items_);
  bytes_ = 0;
}

}  // namespace core
