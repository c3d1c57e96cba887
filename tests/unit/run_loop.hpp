// Test helpers: run a real EventLoop until a condition holds (bounded by a
// timeout, so a broken test fails instead of hanging) or for a fixed time.
#pragma once

#include <cstdint>
#include <functional>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

namespace testing_loop {

inline bool runUntil(core::EventLoop& loop, const std::function<bool()>& done,
                     uint64_t timeoutMs = 3000) {
  if (done()) return true;
  core::Timer poll(loop, [&] {
    if (done()) loop.stop();
  });
  core::Timer guard(loop, [&] { loop.stop(); });
  poll.start(1, 1);
  guard.start(timeoutMs);
  loop.run();
  return done();
}

inline void runFor(core::EventLoop& loop, uint64_t ms) {
  runUntil(
      loop, [] { return false; }, ms);
}

}  // namespace testing_loop
