#include "mixer/playlist_schedule.hpp"

#include <algorithm>

namespace mixer {

PlaylistSchedule::PlaylistSchedule(std::vector<PlaylistItem> items, bool loop)
    : items_(std::move(items)), loop_(loop) {}

std::optional<size_t> PlaylistSchedule::next() {
  if (items_.empty()) {
    why_ = "no items";
    return std::nullopt;
  }
  if (retry_) {
    retry_ = false;
    if (*current_ < items_.size()) return current_;
  }
  // NOTE: after a shorter new list current_ may be past its end: that is the end
  // (or the top again) as for the last item.
  size_t index = current_ ? *current_ + 1 : 0;
  if (index >= items_.size()) {
    if (!loop_) {
      why_ = "the last item ended";
      return std::nullopt;
    }
    // NOTE: a looping list none of whose items can play would spin through
    // failures forever: it ends once a whole pass (every item tried) played none.
    if (!playedThisPass_ && triedThisPass_ >= items_.size()) {
      why_ = "no item of a whole pass could play";
      return std::nullopt;
    }
    index = 0;
    ++passes_;
    playedThisPass_ = false;
    triedThisPass_ = 0;
  }
  current_ = index;
  return index;
}

void PlaylistSchedule::finished(bool played) {
  ++triedThisPass_;
  if (played) playedThisPass_ = true;
}

void PlaylistSchedule::replace(std::vector<PlaylistItem> items, bool loop) {
  items_ = std::move(items);
  loop_ = loop;
  // A new list is a new pass as far as the all-failed guard goes.
  triedThisPass_ = 0;
  playedThisPass_ = false;
}

int64_t PlaylistSchedule::waitMs(size_t index, int64_t nowUnixMs) const {
  if (index >= items_.size() || !items_[index].startAt) return 0;
  return std::max<int64_t>(0, *items_[index].startAt - nowUnixMs);
}

}  // namespace mixer
