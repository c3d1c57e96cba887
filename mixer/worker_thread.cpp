#include "mixer/worker_thread.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <ctime>

namespace mixer {
namespace {

constexpr size_t kMaxThreadName = 15;  // Linux: 16 bytes with the terminating NUL

int64_t clockNs(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace

WorkerThread::WorkerThread(std::string name, std::function<void()> body,
                           std::function<void()> onDone)
    : name_(name.substr(0, kMaxThreadName)),
      thread_(&WorkerThread::run, this, std::move(body), std::move(onDone)) {}

WorkerThread::~WorkerThread() {
  if (!thread_.joinable()) return;
  if (!done()) spdlog::warn("worker {}: still running at destruction, waiting for it", name_);
  thread_.join();
}

void WorkerThread::run(std::function<void()> body, std::function<void()> onDone) noexcept {
  pthread_setname_np(pthread_self(), name_.c_str());
  try {
    body();
  } catch (const std::exception& e) {
    // The body reports its own errors; this only keeps the process alive.
    spdlog::error("worker {}: {}", name_, e.what());
  }
  finalCpuNs_.store(clockNs(CLOCK_THREAD_CPUTIME_ID), std::memory_order_release);
  done_.store(true, std::memory_order_release);
  try {
    if (onDone) onDone();
  } catch (const std::exception& e) {
    spdlog::error("worker {}: done signal: {}", name_, e.what());
  }
}

bool WorkerThread::tryJoin() {
  if (!thread_.joinable()) return true;
  if (!done()) return false;
  // NOTE: done() is set just before onDone; the join waits for at most the rest of
  // onDone (a mailbox post) and the thread's exit, not for work.
  thread_.join();
  return true;
}

double WorkerThread::cpuSeconds() const {
  int64_t ns = -1;
  if (!done()) {
    // NOTE: the clock of a thread that has exited (done, not yet joined) is gone:
    // read it only while the body runs; after that the thread's own final reading.
    clockid_t clock;
    if (pthread_getcpuclockid(const_cast<std::thread&>(thread_).native_handle(), &clock) == 0)
      ns = clockNs(clock);
  }
  if (ns < 0) ns = finalCpuNs_.load(std::memory_order_acquire);
  return double(ns) / 1e9;
}

}  // namespace mixer
