// HeapTrimmer: hands the free pages of the heap back to the system after a burst of
// memory was freed (a wave of connections gone): glibc keeps freed memory that lies
// below live allocations, so without it RSS stays at the wave's peak.
// Owned by main(); loop thread (a repeating timer).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/loop/timer.hpp"

namespace core {

class EventLoop;

class HeapTrimmer {
 public:
  struct Options {
    uint64_t periodMs = 2000;                // how often RSS and the heap are looked at
    size_t minFreedBytes = 8 * 1024 * 1024;  // see check()
  };
  HeapTrimmer(EventLoop& loop, Options options);
  explicit HeapTrimmer(EventLoop& loop) : HeapTrimmer(loop, Options{}) {}

  // One look (the timer calls it): trims when the heap holds at least minFreedBytes free
  // and RSS is at least minFreedBytes above its low point since the last trim (so a
  // heap that stays fragmented is not trimmed again and again), on two looks in a row
  // with the free bytes no longer growing (the frees are over). True when it trimmed.
  bool check();
  uint64_t trims() const { return trims_; }

 private:
  Options options_;
  Timer timer_;
  size_t lowRss_ = 0;              // least RSS seen since the last trim
  std::optional<size_t> dueFree_;  // the heap's free bytes when the last look found a trim due
  uint64_t trims_ = 0;
};

}  // namespace core
