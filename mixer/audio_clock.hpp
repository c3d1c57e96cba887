// mixer::AudioClock: the ms timestamps of re-framed audio. Input frames (ms pts and
// sample counts) anchor the timeline; an output sample index maps to ms through the
// last anchor at or before it. Owned and used by one AudioTranscoder; pure code.
#pragma once

#include <cstdint>
#include <deque>

namespace mixer {

class AudioClock {
 public:
  // A jump of more than this between a frame's pts and where the samples before it
  // end re-anchors the timeline: more than rounding to ms, less than one AAC frame
  // (21 ms at 48 kHz) so that a lost frame or a source gap moves the output with it.
  static constexpr int64_t kResyncMs = 15;

  // Rates in Hz (> 0): the input's (decoded frames) and the output's (encoder).
  AudioClock(int inRate, int outRate);

  // The next `samples` input samples, whose first is at `ptsMs` (kNoPts: where the
  // previous frames end). True when it re-anchored (the first frame, a gap, a jump).
  bool input(int64_t ptsMs, int64_t samples);
  // The ms pts of output sample `index` (calls in increasing index order): the
  // anchor's ms plus index's distance from it, rounded; strictly increasing over
  // calls, even after a backward jump of the input.
  int64_t output(int64_t index);

  int64_t resyncs() const { return resyncs_; }

  static constexpr int64_t kNoPts = INT64_MIN;

 private:
  struct Anchor {
    int64_t outIndex;  // output sample index of the anchor
    int64_t ms;
  };

  int inRate_;
  int outRate_;
  int64_t inSamples_ = 0;        // input samples so far
  int64_t inAnchorSamples_ = 0;  // input sample index of the latest anchor
  int64_t inAnchorMs_ = 0;
  std::deque<Anchor> anchors_;  // the latest last; front = the one in use by output()
  int64_t lastOut_ = 0;
  bool anyOut_ = false;
  int64_t resyncs_ = 0;  // anchors after the first
};

}  // namespace mixer
