#include "core/room/priority_rate_limiter.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

using core::Priority;
using Limiter = core::PriorityRateLimiter<int>;

BOOST_AUTO_TEST_CASE(under_the_limit_everything_is_delivered) {
  Limiter l(40);
  std::mt19937 rng(1);
  int delivered = 0;
  for (int64_t t = 0; t < 10000; t += 100) {
    for (int i = 0; i < 3; ++i) l.offer(Priority::Normal, i);  // 30/s
    auto r = l.tick(t, rng);
    delivered += static_cast<int>(r.delivered.size());
    BOOST_TEST(r.dropped.empty());
  }
  BOOST_TEST(delivered == 300);
}

BOOST_AUTO_TEST_CASE(over_the_limit_delivery_averages_the_rate) {
  Limiter l(40);
  std::mt19937 rng(2);
  int delivered = 0, dropped = 0;
  for (int64_t t = 0; t <= 10000; t += 100) {
    for (int i = 0; i < 20; ++i) l.offer(Priority::Normal, i);  // 200/s offered
    auto r = l.tick(t, rng);
    delivered += static_cast<int>(r.delivered.size());
    dropped += static_cast<int>(r.dropped.size());
  }
  // 10 s at 40/s plus the initial one-second bucket.
  BOOST_TEST(delivered <= 40 * 10 + 40);
  BOOST_TEST(delivered >= 40 * 10 - 4);
  BOOST_TEST(delivered + dropped == 20 * 101);
}

BOOST_AUTO_TEST_CASE(higher_priority_goes_first) {
  Limiter l(10);
  std::mt19937 rng(3);
  l.tick(0, rng);
  for (int i = 0; i < 20; ++i) l.offer(Priority::Low, 100 + i);
  for (int i = 0; i < 5; ++i) l.offer(Priority::High, i);
  for (int i = 0; i < 20; ++i) l.offer(Priority::Normal, 50 + i);
  auto r = l.tick(1000, rng);  // budget: 10
  BOOST_REQUIRE(r.delivered.size() == 10u);
  for (int i = 0; i < 5; ++i) BOOST_TEST(r.delivered[i] < 5);  // all High first
  for (int i = 5; i < 10; ++i) BOOST_TEST((r.delivered[i] >= 50 && r.delivered[i] < 70));
  BOOST_TEST(r.dropped.size() == 35u);
}

BOOST_AUTO_TEST_CASE(equal_priority_survivors_are_random) {
  std::map<int, int> survived;
  for (unsigned seed = 0; seed < 400; ++seed) {
    Limiter l(2);
    std::mt19937 rng(seed);
    l.tick(0, rng);
    for (int i = 0; i < 4; ++i) l.offer(Priority::Normal, i);
    for (int v : l.tick(1000, rng).delivered) ++survived[v];
  }
  // Each of the 4 survives about half of the 400 rounds (2 of 4 per round).
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(survived[i] > 150);
    BOOST_TEST(survived[i] < 250);
  }
}

BOOST_AUTO_TEST_CASE(a_quiet_room_does_not_bank_more_than_one_second) {
  Limiter l(40);
  std::mt19937 rng(4);
  l.tick(0, rng);
  for (int i = 0; i < 100; ++i) l.offer(Priority::Normal, i);
  auto r = l.tick(60000, rng);  // a minute of silence
  BOOST_TEST(r.delivered.size() == 40u);
  BOOST_TEST(r.dropped.size() == 60u);
}
