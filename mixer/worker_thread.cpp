#include "mixer/worker_thread.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace mixer {
namespace {

constexpr size_t kMaxThreadName = 15;  // Linux: 16 bytes with the terminating NUL

int64_t clockNs(clockid_t clock) {
  timespec ts{};
  if (clock_gettime(clock, &ts) != 0) return -1;
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// CPU time (user + system) of each of the process's threads named `name` other
// than `except`, from /proc/self/task/<tid>/stat (fields 14 and 15, clock ticks).
// NOTE: procfs is memory-backed (no disk I/O); reading it on the loop costs a few
// syscalls per thread and only happens when the API asks.
std::vector<std::pair<int, int64_t>> namedThreadsCpuNs(const std::string& name, int except) {
  const long kTicksPerSecond = sysconf(_SC_CLK_TCK);
  std::vector<std::pair<int, int64_t>> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    const int tid = std::atoi(task.path().filename().c_str());
    if (tid == except || kTicksPerSecond <= 0) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // the thread has just exited
    // "tid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const auto open = line.find('('), close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    if (line.compare(open + 1, close - open - 1, name) != 0) continue;
    unsigned long utime = 0, stime = 0;
    // After ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt
    // cmajflt utime(14) stime(15).
    if (std::sscanf(line.c_str() + close + 1,
                    " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) == 2)
      out.emplace_back(tid, int64_t(utime + stime) * (1'000'000'000 / kTicksPerSecond));
  }
  return out;
}

}  // namespace

WorkerThread::WorkerThread(std::string name, Body body, std::function<void()> onDone)
    : name_(name.substr(0, kMaxThreadName)),
      thread_(&WorkerThread::run, this, std::move(body), std::move(onDone)) {}

WorkerThread::WorkerThread(std::string name, std::function<void()> body,
                           std::function<void()> onDone)
    : WorkerThread(std::move(name), Body([body = std::move(body)](WorkerThread&) { body(); }),
                   std::move(onDone)) {}

WorkerThread::~WorkerThread() {
  if (!thread_.joinable()) return;
  if (!done()) spdlog::warn("worker {}: still running at destruction, waiting for it", name_);
  thread_.join();
}

void WorkerThread::run(Body body, std::function<void()> onDone) noexcept {
  pthread_setname_np(pthread_self(), name_.c_str());
  tid_.store(int(syscall(SYS_gettid)), std::memory_order_release);
  try {
    body(*this);
  } catch (const std::exception& e) {
    // The body reports its own errors; this only keeps the process alive.
    spdlog::error("worker {}: {}", name_, e.what());
  }
  refreshHelpers();  // helpers a body left running; sampleHelpers() got the others
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
  const int64_t helpers = done() ? helperCpuNs_.load(std::memory_order_acquire) : refreshHelpers();
  return double(ns + helpers) / 1e9;
}

int64_t WorkerThread::refreshHelpers() const {
  const int tid = tid_.load(std::memory_order_acquire);
  if (tid == 0) return 0;
  const auto threads = namedThreadsCpuNs(name_, tid);
  std::lock_guard lock(helpersMutex_);
  // NOTE: a helper that exited took its time out of procfs; each keeps the last
  // figure seen, so a decoder reopened mid-run does not lose its first helpers.
  for (const auto& [helper, ns] : threads) {
    int64_t& last = helperCpuByTid_[helper];
    last = std::max(last, ns);
  }
  int64_t sum = 0;
  for (const auto& [helper, ns] : helperCpuByTid_) sum += ns;
  helperCpuNs_.store(sum, std::memory_order_release);
  return sum;
}

}  // namespace mixer
