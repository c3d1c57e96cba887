// SignalWatcher: runs a callback on the loop when a POSIX signal arrives (SIGINT,
// SIGTERM for shutdown, SIGHUP for reload). Owned by main(); loop thread.
#pragma once

#include <uv.h>

#include <functional>

namespace core {

class EventLoop;

class SignalWatcher {
 public:
  SignalWatcher(EventLoop& loop, int signum, std::function<void(int)> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  uv_signal_t* handle_;
  std::function<void(int)> onSignal_;
};

}  // namespace core
