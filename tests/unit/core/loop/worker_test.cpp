#include "core/loop/worker.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>

#include "core/loop/event_loop.hpp"

BOOST_AUTO_TEST_CASE(work_runs_off_the_loop_thread_and_done_on_it) {
  core::EventLoop loop;
  const auto loopThread = std::this_thread::get_id();
  struct Result {
    std::thread::id worker;
    long sum = 0;
  };
  auto result = std::make_shared<Result>();
  std::thread::id doneThread;
  int doneCalls = 0;
  core::runOnWorker(
      loop,
      [result] {
        result->worker = std::this_thread::get_id();
        for (long i = 1; i <= 1000; ++i) result->sum += i;
      },
      [&, result] {
        doneThread = std::this_thread::get_id();
        ++doneCalls;
        BOOST_TEST(result->sum == 500500);
      });
  BOOST_TEST(doneCalls == 0);  // not before the loop runs it
  loop.run();                  // returns once the job (its only work) is done
  BOOST_TEST(doneCalls == 1);
  BOOST_TEST((doneThread == loopThread));
  BOOST_TEST((result->worker != loopThread));
}
