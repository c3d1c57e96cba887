// PlaylistSchedule: which item of a playlist plays next: in order, then from the
// top again when it loops (unless a whole pass failed), the end otherwise; how
// long an item with a start time waits; a PATCH's new list taking over after the
// current item. Pure; owned by the PlaylistPlayer's thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mixer/playlist_spec.hpp"

namespace mixer {

class PlaylistSchedule {
 public:
  PlaylistSchedule(std::vector<PlaylistItem> items, bool loop);

  // The index of the item to play now (the first at the first call), or nullopt at
  // the end: the list ran out and does not loop, or a whole pass failed (`why()`).
  std::optional<size_t> next();
  // The current item played (true) or failed.
  void finished(bool played);
  // A new list (PATCH): the current item plays on; next() continues at the item
  // after its index in the new list (or from the top when it loops).
  void replace(std::vector<PlaylistItem> items, bool loop);
  // The current item did not start (its wait for start_at was cut short by a new
  // list): next() gives its index again, in the list then current (the end, or the
  // top when it loops, if that list is shorter).
  void retry() { retry_ = current_.has_value(); }

  // How long item `index` waits at `nowUnixMs` for its start_at (0: none, or past).
  int64_t waitMs(size_t index, int64_t nowUnixMs) const;
  const PlaylistItem& item(size_t index) const { return items_[index]; }
  size_t size() const { return items_.size(); }
  bool loops() const { return loop_; }
  uint64_t passes() const { return passes_; }
  // Why next() ended the playlist.
  const std::string& why() const { return why_; }

 private:
  std::vector<PlaylistItem> items_;
  bool loop_;
  std::optional<size_t> current_;
  bool retry_ = false;
  bool playedThisPass_ = false;
  bool failedAll_ = false;  // a full pass went by without an item playing
  size_t triedThisPass_ = 0;
  uint64_t passes_ = 0;
  std::string why_;
};

}  // namespace mixer
