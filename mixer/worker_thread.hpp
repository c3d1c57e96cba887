// mixer::WorkerThread: one named thread a pipeline owns (decoder "rc7-dec", encoder
// "rc7-e720p"), not libuv's pool. It runs `body`, then `onDone` (on the thread,
// typically a Mailbox post) as its last act; the loop joins it after that signal,
// when the join only waits for the thread's return. Owned on the loop thread.
// Threads the body's libraries start (libavcodec slice threads, x264's, libavfilter's)
// inherit the name; cpuSeconds() counts them too, so a pipeline's names are unique.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace mixer {

class WorkerThread {
 public:
  // Starts at once. `name` is cut to the 15 characters Linux keeps. The body may
  // take the WorkerThread it runs on (for sampleHelpers()).
  using Body = std::function<void(WorkerThread&)>;
  WorkerThread(std::string name, Body body, std::function<void()> onDone);
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
  // CPU time of the stage: the thread's own clock (pthread_getcpuclockid) plus the
  // threads of the same name it started (/proc/self/task, 10 ms ticks) while they
  // ran; the final figure once done. The owner's thread (it also joins).
  double cpuSeconds() const;
  // From the body: records its helpers' CPU time now, before it frees the library
  // contexts that own them (their time is gone from procfs after that).
  void sampleHelpers() { refreshHelpers(); }
  const std::string& name() const { return name_; }

 private:
  void run(Body body, std::function<void()> onDone) noexcept;
  // Updates helperCpuNs_ from procfs (any thread) and returns it.
  int64_t refreshHelpers() const;

  std::string name_;
  std::atomic<bool> done_{false};
  std::atomic<int64_t> finalCpuNs_{0};  // written before done_
  std::atomic<int> tid_{0};             // the kernel's id of the thread, once it runs
  // Helpers' CPU time, last seen per thread id (refreshHelpers, any thread), and its
  // sum; the mutex is held only for the update, never across a call out.
  mutable std::mutex helpersMutex_;
  mutable std::map<int, int64_t> helperCpuByTid_;
  mutable std::atomic<int64_t> helperCpuNs_{0};
  std::thread thread_;  // last: starts after the members above exist
};

}  // namespace mixer
