#include "core/media/send_queue.hpp"

#include <algorithm>

namespace core {

SendQueue::Verdict SendQueue::push(Item item, int64_t inFlightOldestDts) {
  newestDts_ = std::max(newestDts_, item.dts);
  const bool videoKey = item.kind == MediaKind::Video && item.keyframe;

  if (waitKeyframe_ && !item.mandatory) {
    if (!videoKey) {
      ++dropped_;
      return Verdict::Dropped;
    }
    waitKeyframe_ = false;
  }

  const int64_t oldestQueued = items_.empty() ? INT64_MAX : items_.front().dts;
  const int64_t oldest = std::min(oldestQueued, inFlightOldestDts);
  if (oldest != INT64_MAX && newestDts_ - oldest > limits_.hardMs) return Verdict::Overflow;

  bytes_ += item.bytes.size();
  items_.push_back(std::move(item));

  const int64_t queuedSpan = newestDts_ - items_.front().dts;
  if (queuedSpan > limits_.softMs || bytes_ > limits_.maxBytes) {
    ++episodes_;
    dropDroppable();
    // A keyframe that just arrived survives and is a fine place to resume.
    const bool resumed = !items_.empty() && items_.back().kind == MediaKind::Video &&
                         items_.back().keyframe && !items_.back().mandatory;
    waitKeyframe_ = !resumed;
    if (bytes_ > limits_.maxBytes) return Verdict::Overflow;  // mandatory bytes alone
    return Verdict::Dropped;
  }
  return Verdict::Queued;
}

void SendQueue::dropDroppable() {
  // Keep mandatory packets and the newest packet if it is a video keyframe.
  std::deque<Item> kept;
  for (size_t i = 0; i < items_.size(); ++i) {
    auto& it = items_[i];
    const bool lastKey = i + 1 == items_.size() && it.kind == MediaKind::Video && it.keyframe;
    if (it.mandatory || lastKey) {
      // A kept header is due now: its old dts must not count as lag.
      if (it.mandatory) it.dts = newestDts_;
      kept.push_back(std::move(it));
    } else {
      bytes_ -= it.bytes.size();
      ++dropped_;
    }
  }
  items_.swap(kept);
}

std::vector<SendQueue::Item> SendQueue::takeAll() {
  std::vector<Item> out(std::make_move_iterator(items_.begin()),
                        std::make_move_iterator(items_.end()));
  items_.clear();
  bytes_ = 0;
  return out;
}

}  // namespace core
