// mixer::WorkerThread: one named thread a pipeline owns (decoder "rc-dec", encoder
// "rc-enc720"), not libuv's pool. It runs `body`, then `onDone` (on the thread,
// typically a Mailbox post) as its last act; the loop joins it after that signal,
// when the join only waits for the thread's return. Owned on the loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>

namespace mixer {

class WorkerThread {
 public:
  // Starts at once. `name` is cut to the 15 characters Linux keeps.
  WorkerThread(std::string name, std::function<void()> body, std::function<void()> onDone);
  // Joins. The owner has stopped the body and seen onDone first; if not, this
  // waits for the body (logged: it would block the loop).
  ~WorkerThread();
  WorkerThread(const WorkerThread&) = delete;
  WorkerThread& operator=(const WorkerThread&) = delete;

  // True once the body has returned (onDone is then running or has run).
  bool done() const { return done_.load(std::memory_order_acquire); }
  // Joins if done() and returns true; false without waiting while the body runs.
  bool tryJoin();
  // CPU time the thread has used (its own clock, pthread_getcpuclockid); the final
  // figure once done. The owner's thread (it also joins).
  double cpuSeconds() const;
  const std::string& name() const { return name_; }

 private:
  void run(std::function<void()> body, std::function<void()> onDone) noexcept;

  std::string name_;
  std::atomic<bool> done_{false};
  std::atomic<int64_t> finalCpuNs_{0};  // written before done_
  std::thread thread_;                  // last: starts after the members above exist
};

}  // namespace mixer
