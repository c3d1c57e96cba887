// EventLoop: the one libuv loop every network object lives on. Owned by main();
// single-threaded: every method, post() included, runs on the loop thread (worker
// threads will hand results back through a uv_async_t, not through post()).
// deferDelete() destroys objects at the end of the current iteration, never inside
// the callback that asked for it (Envoy's rule).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <span>
#include <vector>

namespace core {

class EventLoop {
 public:
  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  uv_loop_t* uv() { return loop_; }
  void run();
  void stop();
  // Loop time in ms (cached per iteration, monotonic).
  uint64_t nowMs() const { return uv_now(loop_); }

  // Runs `fn` on the loop thread at the end of this iteration.
  void post(std::function<void()> fn);

  // NOTE: one read buffer per loop: a read callback consumes its bytes synchronously,
  // so no two reads ever hold it at once. Its size bounds every read.
  std::span<char> readBuffer() { return {readBuffer_.get(), kReadBufferSize}; }
  // Scratch a write fills and consumes before it returns (no allocation per write).
  std::vector<uv_buf_t>& writeScratch() { return writeScratch_; }

  template <typename T>
  void deferDelete(std::unique_ptr<T> object) {
    if (!object) return;
    post([held = std::shared_ptr<T>(std::move(object))]() mutable { held.reset(); });
  }

 private:
  void drain();

  static constexpr size_t kReadBufferSize = 64 * 1024;

  uv_loop_t* loop_;
  uv_timer_t* drainTimer_;
  std::unique_ptr<char[]> readBuffer_ = std::make_unique_for_overwrite<char[]>(kReadBufferSize);
  std::vector<uv_buf_t> writeScratch_;  // zero-timeout timer that runs posted work
  std::vector<std::function<void()>> posted_;
  bool drainScheduled_ = false;
};

}  // namespace core
