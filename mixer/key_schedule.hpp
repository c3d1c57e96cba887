// KeySchedule: the pts (ms) chosen as keyframes for every rung of one pipeline, so
// all rungs cut their GOPs at the same pts. The VideoWorker marks each decoded frame;
// each RungEncoder asks through its own cursor. Guarded by a mutex: any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "mixer/pipeline_spec.hpp"

namespace mixer {

class KeySchedule {
 public:
  enum class Decision : uint8_t {
    Key,    // encode as an IDR
    Delta,  // encode as the encoder likes (never a key of its own)
    Skip,   // the rung waits for its next key: do not encode
  };

  KeySchedule(KeyframePolicy policy, int gopMs, size_t rungs);

  // Decoder side, frames in presentation order: true when the frame at `pts` is a key
  // of every rung. `sourceKey`: the source packet was a keyframe. A pts not above the
  // last marked one is never a key.
  bool mark(int64_t pts, bool sourceKey);
  // The next marked frame becomes a key (a viewer asked, an overlay rebuild needs one).
  void requestKeyframe();

  // Encoder side, the rung's frames in pts order: Key for the first frame at or after
  // a scheduled key this rung has not used yet (an fps node may have dropped the
  // marked frame itself), Skip while the rung waits for its first key, Delta otherwise.
  Decision decide(size_t rung, int64_t pts);
  // The rung lost the frame at `pts` (its queue was full): frames from `pts` on are
  // skipped until the first key after it; frames already queued before it still go.
  // True when this starts a gap (the rung was not already waiting for a key).
  bool dropUntilNextKey(size_t rung, int64_t pts);

  std::vector<int64_t> keys() const;  // the keys still held, oldest first
  uint64_t keyCount() const;          // keys marked since construction
  std::optional<int64_t> lastKey() const;

 private:
  struct Cursor {
    bool started = false;          // has had its first key
    int64_t usedUpTo = INT64_MIN;  // keys at or below are consumed
    std::optional<int64_t> gapAt;  // a dropped frame: wait for a key above it
  };
  static constexpr size_t kMaxKeys = 1024;  // a stalled rung cannot grow this further

  bool isKey(int64_t pts, bool sourceKey) const;
  std::optional<int64_t> lastKeyAtOrBelow(int64_t above, int64_t pts) const;
  void prune();

  const KeyframePolicy policy_;
  const int64_t gopMs_;
  mutable std::mutex mutex_;
  std::deque<int64_t> keys_;
  std::vector<Cursor> cursors_;
  std::optional<int64_t> lastMarked_;
  std::optional<int64_t> lastKey_;
  bool requested_ = false;
  uint64_t keyCount_ = 0;
};

}  // namespace mixer
