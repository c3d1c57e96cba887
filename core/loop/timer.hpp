// Timer: RAII one-shot or repeating libuv timer owned by whoever holds it; loop thread.
// NOTE: the uv_timer_t is heap-allocated and freed in its close callback, so the
// Timer object itself may be destroyed at once, even from inside its own callback
// (the callback runs from a copy, so destroying the Timer does not destroy it).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace core {

class EventLoop;

class Timer {
 public:
  Timer(EventLoop& loop, std::function<void()> onFire);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(uint64_t timeoutMs, uint64_t repeatMs = 0);
  void stop();
  bool active() const;

 private:
  uv_timer_t* handle_;
  std::function<void()> onFire_;
};

}  // namespace core
