// PlaylistPacer: when a packet at output time `outMs` is due on the steady clock,
// so a playlist plays in real time: anchored at the first packet, re-anchored
// when the player fell more than kMaxLateMs behind (a slow disk, a stalled
// machine: the stream resumes at once instead of bursting to catch up). Pure;
// owned by the PlaylistPlayer's thread.
#pragma once

#include <cstdint>
#include <optional>

namespace mixer {

class PlaylistPacer {
 public:
  static constexpr int64_t kMaxLateMs = 1000;

  // The steady time (ns) at which the packet at `outMs` goes out, given the steady
  // time now; the first call anchors the clock here.
  uint64_t dueNs(int64_t outMs, uint64_t nowNs) {
    const bool late = anchored_ && nowNs > dueOf(outMs) &&
                      nowNs - dueOf(outMs) > static_cast<uint64_t>(kMaxLateMs) * 1000000;
    if (!anchored_ || late) {
      anchorNs_ = nowNs;
      anchorOut_ = outMs;
      anchored_ = true;
    }
    return dueOf(outMs);
  }
  // The output time the steady time `nowNs` stands for (nullopt before the anchor):
  // where an item after an idle wait starts.
  std::optional<int64_t> outAt(uint64_t nowNs) const {
    if (!anchored_) return std::nullopt;
    return anchorOut_ + (static_cast<int64_t>(nowNs) - static_cast<int64_t>(anchorNs_)) / 1000000;
  }

 private:
  uint64_t dueOf(int64_t outMs) const {
    const int64_t ns = static_cast<int64_t>(anchorNs_) + (outMs - anchorOut_) * 1000000;
    return ns < 0 ? 0 : static_cast<uint64_t>(ns);
  }

  bool anchored_ = false;
  uint64_t anchorNs_ = 0;
  int64_t anchorOut_ = 0;
};

}  // namespace mixer
