#include "mixer/worker_thread.hpp"

#include <pthread.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <functional>
#include <mutex>

using namespace std::chrono_literals;

namespace {

// A latch the test opens (the worker's body waits on it) or waits on.
struct Gate {
  std::mutex m;
  std::condition_variable cv;
  bool open = false;
  void release() {
    std::lock_guard l(m);
    open = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock l(m);
    cv.wait(l, [&] { return open; });
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(the_thread_carries_its_name_cut_to_15_characters) {
  Gate named, finish;
  char seen[32] = {0};
  mixer::WorkerThread w(
      "rc-enc720-long-name",
      [&] {
        pthread_getname_np(pthread_self(), seen, sizeof seen);
        named.release();
        finish.wait();
      },
      nullptr);
  named.wait();
  BOOST_TEST(std::string(seen) == "rc-enc720-long-");
  BOOST_TEST(w.name() == "rc-enc720-long-");
  finish.release();
}

BOOST_AUTO_TEST_CASE(try_join_refuses_while_the_body_runs_and_joins_after_done) {
  Gate finish, signalled;
  mixer::WorkerThread w(
      "rc-test", [&] { finish.wait(); }, [&] { signalled.release(); });
  std::this_thread::sleep_for(10ms);
  BOOST_TEST(!w.done());
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(!w.tryJoin());  // does not wait for the body
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 5ms));
  finish.release();
  signalled.wait();  // what the loop does: the Done message arrives, then it joins
  BOOST_TEST(w.done());
  BOOST_TEST(w.tryJoin());
  BOOST_TEST(w.tryJoin());  // already joined
}

BOOST_AUTO_TEST_CASE(cpu_seconds_count_the_threads_own_work_not_its_waiting) {
  Gate busyDone, idleDone, finish;
  mixer::WorkerThread busy(
      "rc-busy",
      [&] {
        // 0.1 s of this thread's own CPU, whatever else the machine runs.
        timespec ts{};
        volatile uint64_t x = 0;
        do {
          for (int i = 0; i < 10000; ++i) x = x + 1;
          clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        } while (ts.tv_sec == 0 && ts.tv_nsec < 100'000'000);
        busyDone.release();
        finish.wait();
      },
      nullptr);
  mixer::WorkerThread idle(
      "rc-idle",
      [&] {
        idleDone.release();
        finish.wait();
      },
      nullptr);
  busyDone.wait();
  idleDone.wait();
  const double running = busy.cpuSeconds();
  BOOST_TEST(running >= 0.1);
  BOOST_TEST(running < 5.0);
  BOOST_TEST(idle.cpuSeconds() < 0.02);
  finish.release();
  while (!busy.done()) std::this_thread::sleep_for(1ms);
  BOOST_TEST(busy.tryJoin());
  BOOST_TEST(busy.cpuSeconds() >= running);  // the final figure, after the join
}

BOOST_AUTO_TEST_CASE(a_throwing_body_still_signals_done) {
  Gate signalled;
  mixer::WorkerThread w(
      "rc-throw", [] { throw std::runtime_error("boom"); }, [&] { signalled.release(); });
  signalled.wait();
  BOOST_TEST(w.tryJoin());
}

namespace {

// Burns `seconds` of the calling thread's own CPU.
void burnCpu(double seconds) {
  timespec ts{};
  volatile uint64_t x = 0;
  do {
    for (int i = 0; i < 10000; ++i) x = x + 1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  } while (double(ts.tv_sec) + double(ts.tv_nsec) / 1e9 < seconds);
}

}  // namespace

// What libavcodec's slice threads and x264's threads do: the stage's thread starts
// helpers (they inherit its name) that do the work and live as long as the codec.
// Two helpers burn 0.15 s each; a third, renamed as another stage's, burns 0.3 s.
struct HelpedStage {
  Gate burnt, release;
  std::atomic<int> done{0};
  mixer::WorkerThread::Body body(bool sampleAtEnd) {
    return [this, sampleAtEnd](mixer::WorkerThread& self) {
      std::atomic<bool> stop{false};
      auto helper = [&](const char* rename, double seconds) {
        if (rename) pthread_setname_np(pthread_self(), rename);
        burnCpu(seconds);
        if (++done == 3) burnt.release();
        while (!stop) std::this_thread::sleep_for(1ms);
      };
      std::thread a(helper, nullptr, 0.15), b(helper, nullptr, 0.15);
      std::thread other(helper, "rc-other", 0.3);
      release.wait();
      if (sampleAtEnd) self.sampleHelpers();  // before the codec goes
      stop = true;
      a.join();
      b.join();
      other.join();
    };
  }
};

BOOST_AUTO_TEST_CASE(cpu_seconds_count_the_helper_threads_while_they_run) {
  HelpedStage s;
  mixer::WorkerThread w("rc-helped", s.body(false), nullptr);
  s.burnt.wait();
  const double running = w.cpuSeconds();
  BOOST_TEST(running >= 0.28);  // 10 ms ticks per helper
  BOOST_TEST(running < 0.5);    // not the other stage's 0.3 s
  s.release.release();
  while (!w.done()) std::this_thread::sleep_for(1ms);
  BOOST_TEST(w.tryJoin());
  BOOST_TEST(w.cpuSeconds() >= running - 1e-6);  // the final figure keeps them
}

BOOST_AUTO_TEST_CASE(the_final_cpu_seconds_keep_helpers_the_body_sampled_before_they_went) {
  HelpedStage s;
  mixer::WorkerThread w("rc-helped2", s.body(true), nullptr);
  s.burnt.wait();
  s.release.release();  // no reading while it ran: only the body's own sample
  while (!w.done()) std::this_thread::sleep_for(1ms);
  BOOST_TEST(w.tryJoin());
  BOOST_TEST(w.cpuSeconds() >= 0.28);
  BOOST_TEST(w.cpuSeconds() < 0.5);
}
