#include "core/loop/mailbox.hpp"

#include <boost/test/unit_test.hpp>
#include <thread>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/timer.hpp"

namespace {

struct Note {
  int thread = 0;
  int seq = 0;
};

}  // namespace

BOOST_AUTO_TEST_CASE(posts_from_four_threads_arrive_on_the_loop_in_each_threads_order) {
  constexpr int kThreads = 4;
  constexpr int kPosts = 10000;
  core::EventLoop loop;
  const auto loopThread = std::this_thread::get_id();
  std::vector<int> next(kThreads, 0);
  int received = 0, outOfOrder = 0, offLoop = 0;
  std::unique_ptr<core::Mailbox<Note>> box;
  box = std::make_unique<core::Mailbox<Note>>(loop, [&](Note&& n) {
    if (std::this_thread::get_id() != loopThread) ++offLoop;
    if (n.seq != next[n.thread]) ++outOfOrder;
    next[n.thread] = n.seq + 1;
    if (++received == kThreads * kPosts) box->close();  // the loop then has nothing left
  });
  std::vector<std::thread> producers;
  int refused = 0;
  std::mutex refusedMutex;
  for (int t = 0; t < kThreads; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPosts; ++i)
        if (!box->post(Note{t, i})) {
          std::lock_guard lock(refusedMutex);
          ++refused;
        }
    });
  loop.run();  // returns once the mailbox is closed: it was the only handle
  for (auto& p : producers) p.join();
  BOOST_TEST(received == kThreads * kPosts);
  BOOST_TEST(outOfOrder == 0);
  BOOST_TEST(offLoop == 0);
  BOOST_TEST(refused == 0);
  for (int t = 0; t < kThreads; ++t) BOOST_TEST(next[t] == kPosts);
}

BOOST_AUTO_TEST_CASE(close_without_producers_delivers_nothing_and_lets_the_loop_end) {
  core::EventLoop loop;
  int calls = 0;
  core::Mailbox<int> box(loop, [&](int&&) { ++calls; });
  box.close();
  loop.run();  // would never return with the async handle still open
  BOOST_TEST(calls == 0);
}

BOOST_AUTO_TEST_CASE(a_post_after_close_is_refused_and_never_delivered) {
  core::EventLoop loop;
  int calls = 0;
  core::Mailbox<int> box(loop, [&](int&&) { ++calls; });
  BOOST_TEST(box.post(1));
  box.close();  // before the loop ran: the queued message is dropped too
  BOOST_TEST(!box.post(2));
  std::thread([&] { BOOST_TEST(!box.post(3)); }).join();
  loop.run();
  BOOST_TEST(calls == 0);
  BOOST_TEST(box.pending() == 0u);
}

BOOST_AUTO_TEST_CASE(a_consumer_that_closes_mid_batch_gets_no_more_messages) {
  core::EventLoop loop;
  std::vector<int> got;
  std::unique_ptr<core::Mailbox<int>> box;
  box = std::make_unique<core::Mailbox<int>>(loop, [&](int&& v) {
    got.push_back(v);
    if (v == 2) box.reset();  // destroys the Mailbox inside its own callback
  });
  core::Mailbox<int>* target = box.get();  // the producer is done before the loop runs
  std::thread([target] {
    for (int i = 1; i <= 5; ++i) target->post(i);
  }).join();
  loop.run();
  BOOST_TEST(got == (std::vector<int>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_batch_posted_while_the_loop_waits_wakes_it) {
  core::EventLoop loop;
  std::vector<int> got;
  std::unique_ptr<core::Mailbox<int>> box;
  box = std::make_unique<core::Mailbox<int>>(loop, [&](int&& v) {
    got.push_back(v);
    if (got.size() == 3) box->close();
  });
  // The producer starts once the loop is already blocked in its poll.
  std::thread producer;
  core::Timer start(loop, [&] {
    producer = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      for (int i = 0; i < 3; ++i) box->post(i);
    });
  });
  start.start(1);
  loop.run();
  producer.join();
  BOOST_TEST(got == (std::vector<int>{0, 1, 2}));
}
