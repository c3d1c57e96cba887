#include "mixer/bounded_queue.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

BOOST_AUTO_TEST_CASE(try_push_fails_when_full_and_never_waits) {
  mixer::BoundedQueue<int> q(2);
  BOOST_TEST(q.tryPush(1));
  BOOST_TEST(q.tryPush(2));
  const auto t0 = std::chrono::steady_clock::now();
  BOOST_TEST(!q.tryPush(3));
  BOOST_TEST((std::chrono::steady_clock::now() - t0 < 50ms));
  BOOST_TEST(q.depth() == 2u);
  std::atomic<bool> stop{false};
  BOOST_TEST(*q.pop(stop) == 1);
  BOOST_TEST(q.tryPush(3));
  BOOST_TEST(*q.pop(stop) == 2);
  BOOST_TEST(*q.pop(stop) == 3);
  BOOST_TEST(q.depth() == 0u);
  BOOST_TEST(!q.tryPop());
}

BOOST_AUTO_TEST_CASE(a_refused_item_stays_with_the_caller) {
  mixer::BoundedQueue<std::unique_ptr<int>> q(1);
  auto a = std::make_unique<int>(1);
  auto b = std::make_unique<int>(2);
  BOOST_TEST(q.tryPush(a));
  BOOST_TEST(!a);  // moved in
  BOOST_TEST(!q.tryPush(b));
  BOOST_REQUIRE(b);  // refused: still ours, to drop by our own policy
  BOOST_TEST(*b == 2);
}

BOOST_AUTO_TEST_CASE(pop_waits_for_an_item_from_another_thread) {
  mixer::BoundedQueue<int> q(4);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    std::this_thread::sleep_for(20ms);
    q.tryPush(7);
  });
  auto v = q.pop(stop);
  producer.join();
  BOOST_REQUIRE(v);
  BOOST_TEST(*v == 7);
}

BOOST_AUTO_TEST_CASE(wake_returns_an_empty_pop_once_and_stop_wins_over_items) {
  mixer::BoundedQueue<int> q(4);
  std::atomic<bool> stop{false};
  q.wake();  // before the pop: not lost
  BOOST_TEST(!q.pop(stop));
  q.tryPush(1);
  BOOST_TEST(*q.pop(stop) == 1);  // the wake was used up
  std::optional<int> seen = 5;
  std::thread consumer([&] { seen = q.pop(stop); });
  std::this_thread::sleep_for(20ms);
  q.wake();  // a consumer blocked in pop returns
  consumer.join();
  BOOST_TEST(!seen);
  q.tryPush(2);
  stop = true;
  BOOST_TEST(!q.pop(stop));  // stopped: the queued item is abandoned
  BOOST_TEST(q.depth() == 1u);
}

BOOST_AUTO_TEST_CASE(one_producer_one_consumer_keep_order_and_count_refusals) {
  constexpr int kItems = 20000;
  mixer::BoundedQueue<int> q(8);
  std::atomic<bool> stop{false};
  std::vector<int> got;
  std::thread consumer([&] {
    while (auto v = q.pop(stop)) {
      if (*v < 0) break;
      got.push_back(*v);
    }
  });
  int refused = 0;
  for (int i = 0; i < kItems; ++i)
    if (!q.tryPush(i)) ++refused;
  while (!q.tryPush(-1)) std::this_thread::yield();
  consumer.join();
  BOOST_TEST(got.size() + size_t(refused) == size_t(kItems));
  bool increasing = true;
  for (size_t i = 1; i < got.size(); ++i) increasing = increasing && got[i] > got[i - 1];
  BOOST_TEST(increasing);
}
