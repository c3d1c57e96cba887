// OutputClock: a program's own frame clock: tick n is due at start + n / fps on a
// monotonic clock and carries pts n * 1000 / fps ms, whatever its inputs do. A
// compositor that falls behind skips the ticks it missed (their pts never appear),
// so its pts stay monotonic and in step with real time. Owned by one thread.
#pragma once

#include <cstdint>

namespace mixer {

class OutputClock {
 public:
  // `fps` > 0; `startNs` the monotonic time of tick 0.
  OutputClock(double fps, int64_t startNs);

  struct Tick {
    int64_t index = 0;
    int64_t ptsMs = 0;
    uint64_t skipped = 0;  // ticks passed over before this one (the caller was late)
  };
  // When the next tick is due.
  int64_t nextDueNs() const { return dueNs(next_); }
  // The tick to render at `nowNs` (the caller waited for nextDueNs()): the next one,
  // or the latest one due when more than one frame interval has been missed.
  Tick take(int64_t nowNs);

  int64_t dueNs(int64_t index) const;
  int64_t ptsOf(int64_t index) const;
  double fps() const { return fps_; }
  uint64_t skipped() const { return skipped_; }

 private:
  double fps_;
  int64_t startNs_;
  int64_t next_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace mixer
