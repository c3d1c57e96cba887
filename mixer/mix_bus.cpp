#include "mixer/mix_bus.hpp"

#include <algorithm>

namespace mixer {

MixBus::MixBus(size_t inputs, size_t primeSamples, size_t maxSamples)
    : primeSamples_(primeSamples),
      maxSamples_(std::max(maxSamples, primeSamples)),
      fifos_(inputs) {}

void MixBus::write(size_t input, const float* left, const float* right, size_t n) {
  std::lock_guard lock(mutex_);
  if (input >= fifos_.size()) return;
  Fifo& f = fifos_[input];
  f.left.insert(f.left.end(), left, left + n);
  f.right.insert(f.right.end(), right, right + n);
  if (f.left.size() > maxSamples_) {
    // NOTE: the input runs ahead of the program's clock (a join burst, a faster
    // clock): its oldest samples go, so it is heard at most maxSamples_ late.
    const size_t excess = f.left.size() - maxSamples_;
    f.left.erase(f.left.begin(), f.left.begin() + static_cast<ptrdiff_t>(excess));
    f.right.erase(f.right.begin(), f.right.begin() + static_cast<ptrdiff_t>(excess));
    f.dropped += excess;
  }
  if (f.left.size() >= primeSamples_) f.primed = true;
}

void MixBus::clear(size_t input) {
  std::lock_guard lock(mutex_);
  if (input >= fifos_.size()) return;
  fifos_[input].left.clear();
  fifos_[input].right.clear();
  fifos_[input].primed = false;
}

size_t MixBus::mix(float* left, float* right, size_t n, const std::vector<float>& gains) {
  std::fill(left, left + n, 0.0f);
  std::fill(right, right + n, 0.0f);
  size_t heard = 0;
  std::lock_guard lock(mutex_);
  for (size_t i = 0; i < fifos_.size(); ++i) {
    Fifo& f = fifos_[i];
    if (!f.primed) continue;
    const float gain = i < gains.size() ? gains[i] : 1.0f;
    const size_t take = std::min(n, f.left.size());
    for (size_t s = 0; s < take; ++s) {
      left[s] += gain * f.left[s];
      right[s] += gain * f.right[s];
    }
    f.left.erase(f.left.begin(), f.left.begin() + static_cast<ptrdiff_t>(take));
    f.right.erase(f.right.begin(), f.right.begin() + static_cast<ptrdiff_t>(take));
    ++heard;
    if (take < n) {  // ran dry: silence for the rest, and wait to be primed again
      ++f.underruns;
      f.primed = false;
    }
  }
  for (size_t s = 0; s < n; ++s) {
    left[s] = std::clamp(left[s], -1.0f, 1.0f);
    right[s] = std::clamp(right[s], -1.0f, 1.0f);
  }
  return heard;
}

MixBus::Stats MixBus::stats(size_t input) const {
  std::lock_guard lock(mutex_);
  if (input >= fifos_.size()) return {};
  const Fifo& f = fifos_[input];
  return {f.left.size(), f.dropped, f.underruns, f.primed};
}

}  // namespace mixer
