#include "room/priority_rate_limiter.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

using room::Priority;
using Limiter = room::PriorityRateLimiter<int>;

namespace {

struct Tally {
  int delivered = 0, dropped = 0;
  void add(const Limiter::Result& r) {
    delivered += static_cast<int>(r.delivered.size());
    dropped += static_cast<int>(r.dropped.size());
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(under_the_limit_everything_goes_out_at_once) {
  Limiter l(40);
  std::mt19937 rng(1);
  Tally tally;
  for (int64_t t = 0; t < 10000; t += 100) {
    for (int i = 0; i < 3; ++i) {  // 30/s
      BOOST_TEST(!l.offer(Priority::Normal, i, t, rng).has_value());
      auto r = l.take(t);
      BOOST_TEST(r.delivered.size() == 1u);  // no waiting under the limit
      tally.add(r);
    }
  }
  BOOST_TEST(tally.delivered == 300);
  BOOST_TEST(tally.dropped == 0);
}

BOOST_AUTO_TEST_CASE(over_the_limit_delivery_averages_the_rate_per_second) {
  Limiter l(40);
  std::mt19937 rng(2);
  Tally tally;
  std::map<int64_t, int> perSecond;
  for (int64_t t = 0; t < 10000; t += 5) {  // 200/s offered, one every 5 ms
    if (auto lost = l.offer(Priority::Normal, static_cast<int>(t), t, rng)) ++tally.dropped;
    auto r = l.take(t);
    tally.add(r);
    perSecond[t / 1000] += static_cast<int>(r.delivered.size());
  }
  auto rest = l.take(20000);  // what still waits has waited too long
  BOOST_TEST(rest.delivered.empty());
  tally.add(rest);
  // The first second may spend the initial one-second bucket too.
  BOOST_TEST(perSecond[0] <= 80);
  for (int64_t s = 1; s < 10; ++s) {
    BOOST_TEST(perSecond[s] >= 39);
    BOOST_TEST(perSecond[s] <= 41);
  }
  BOOST_TEST(tally.delivered + tally.dropped == 2000);
}

BOOST_AUTO_TEST_CASE(higher_priority_goes_first) {
  Limiter l(10);
  std::mt19937 rng(3);
  for (int i = 0; i < 10; ++i) l.offer(Priority::Normal, 1000 + i, 0, rng);
  BOOST_TEST(l.take(0).delivered.size() == 10u);  // the bucket is spent
  for (int i = 0; i < 3; ++i) l.offer(Priority::Low, 100 + i, 1, rng);
  for (int i = 0; i < 3; ++i) l.offer(Priority::Normal, 50 + i, 1, rng);
  for (int i = 0; i < 3; ++i) l.offer(Priority::High, i, 1, rng);
  BOOST_TEST(l.take(1).delivered.empty());
  BOOST_TEST(l.nextDueMs(1) > 1);
  auto r = l.take(600);  // 6 tokens: High, then Normal, in arrival order
  BOOST_REQUIRE(r.delivered.size() == 6u);
  const std::vector<int> expected{0, 1, 2, 50, 51, 52};
  BOOST_TEST(r.delivered == expected, boost::test_tools::per_element());
  BOOST_TEST(l.queued() == 3u);
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_the_lowest_priority_first) {
  Limiter l(4);  // queue of 4
  std::mt19937 rng(5);
  for (int i = 0; i < 4; ++i) l.offer(Priority::Normal, i, 0, rng);
  l.take(0);  // bucket spent
  for (int i = 0; i < 4; ++i) l.offer(Priority::Low, 10 + i, 0, rng);
  // A High newcomer evicts a Low one, never itself.
  auto lost = l.offer(Priority::High, 99, 0, rng);
  BOOST_REQUIRE(lost.has_value());
  BOOST_TEST(*lost >= 10);
  // A Lowest newcomer is the lowest present: it is the one dropped.
  lost = l.offer(Priority::Lowest, 77, 0, rng);
  BOOST_REQUIRE(lost.has_value());
  BOOST_TEST(*lost == 77);
  auto r = l.take(250);
  BOOST_REQUIRE(r.delivered.size() == 1u);
  BOOST_TEST(r.delivered[0] == 99);
}

BOOST_AUTO_TEST_CASE(equal_priority_losers_are_random) {
  std::map<int, int> lost;
  for (unsigned seed = 0; seed < 400; ++seed) {
    Limiter l(2);  // queue of 2
    std::mt19937 rng(seed);
    l.offer(Priority::Normal, -1, 0, rng);
    l.offer(Priority::Normal, -2, 0, rng);
    l.take(0);  // bucket spent
    for (int i = 0; i < 4; ++i)
      if (auto v = l.offer(Priority::Normal, i, 0, rng)) ++lost[*v];
  }
  // 2 of 4 lose each round; the newcomers do not always lose, nor the queued.
  for (int i = 0; i < 4; ++i) {
    BOOST_TEST(lost[i] > 100);
    BOOST_TEST(lost[i] < 320);
  }
  BOOST_TEST(lost[0] + lost[1] + lost[2] + lost[3] == 800);
}

BOOST_AUTO_TEST_CASE(a_quiet_room_does_not_bank_more_than_one_second) {
  Limiter l(40);
  std::mt19937 rng(4);
  l.take(0);
  Tally tally;
  for (int i = 0; i < 100; ++i) {
    if (l.offer(Priority::Normal, i, 60000, rng)) ++tally.dropped;
  }
  tally.add(l.take(60000));  // a minute of silence before: still one second's worth
  BOOST_TEST(tally.delivered == 40);
  BOOST_TEST(tally.dropped == 60);
}

BOOST_AUTO_TEST_CASE(messages_that_waited_too_long_are_dropped) {
  Limiter l(1, 1000);
  std::mt19937 rng(6);
  l.offer(Priority::Normal, 1, 0, rng);
  BOOST_TEST(l.take(0).delivered.size() == 1u);
  l.offer(Priority::Normal, 2, 10, rng);
  auto r = l.take(2000);
  BOOST_TEST(r.delivered.empty());
  BOOST_REQUIRE(r.dropped.size() == 1u);
  BOOST_TEST(r.dropped[0] == 2);
  BOOST_TEST(l.idle());
  BOOST_TEST(l.nextDueMs(2000) == -1);
}
