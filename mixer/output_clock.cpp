#include "mixer/output_clock.hpp"

#include <cmath>

namespace mixer {

OutputClock::OutputClock(double fps, int64_t startNs)
    : fps_(fps > 0 ? fps : 30), startNs_(startNs) {}

int64_t OutputClock::dueNs(int64_t index) const {
  return startNs_ + static_cast<int64_t>(std::llround(static_cast<double>(index) * 1e9 / fps_));
}

int64_t OutputClock::ptsOf(int64_t index) const {
  return static_cast<int64_t>(std::llround(static_cast<double>(index) * 1000.0 / fps_));
}

OutputClock::Tick OutputClock::take(int64_t nowNs) {
  Tick t;
  t.index = next_;
  // NOTE: late by more than one interval (an encode that took too long, a machine
  // out of CPU): jump to the latest tick due, so the program stays live; pts keep
  // their grid, with a gap where frames were skipped.
  if (nowNs > startNs_) {
    const auto due =
        static_cast<int64_t>(std::floor(static_cast<double>(nowNs - startNs_) * fps_ / 1e9));
    if (due > next_ + 1) {
      t.skipped = static_cast<uint64_t>(due - next_);
      t.index = due;
    }
  }
  skipped_ += t.skipped;
  t.ptsMs = ptsOf(t.index);
  next_ = t.index + 1;
  return t;
}

}  // namespace mixer
