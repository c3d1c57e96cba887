// MixBus: a program's audio mix: one FIFO per input of 48 kHz stereo float samples,
// written by the input's decoder thread, read by the compositor a frame at a time:
// each input's oldest samples times its gain, summed and clipped to [-1, 1]. An
// input is read once it has a little queued (a jitter margin) and until it runs
// dry; a FIFO past its cap drops its oldest samples (bounded latency). Any thread
// (one mutex, held for copies only).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace mixer {

class MixBus {
 public:
  static constexpr int kRate = 48000;
  static constexpr size_t kPrimeSamples = 4096;  // ~85 ms queued before an input is heard
  static constexpr size_t kMaxSamples = 14400;   // 300 ms: more is dropped, oldest first

  explicit MixBus(size_t inputs, size_t primeSamples = kPrimeSamples,
                  size_t maxSamples = kMaxSamples);

  // An input's decoder thread: `n` samples of each channel.
  void write(size_t input, const float* left, const float* right, size_t n);
  // Forgets what `input` has queued (its publisher changed).
  void clear(size_t input);
  // The compositor: `n` samples of the mix into `left` and `right`, each input
  // scaled by gains[input] (0 = muted; a missing gain counts as 1). Returns how
  // many inputs were heard.
  size_t mix(float* left, float* right, size_t n, const std::vector<float>& gains);

  struct Stats {
    size_t queued = 0;       // samples waiting now
    uint64_t dropped = 0;    // samples dropped at the cap
    uint64_t underruns = 0;  // times the input ran dry while heard
    bool heard = false;      // primed: mixed in
  };
  Stats stats(size_t input) const;

 private:
  struct Fifo {
    std::deque<float> left, right;
    bool primed = false;
    uint64_t dropped = 0, underruns = 0;
  };
  const size_t primeSamples_, maxSamples_;
  mutable std::mutex mutex_;
  std::vector<Fifo> fifos_;  // guarded by mutex_
};

}  // namespace mixer
