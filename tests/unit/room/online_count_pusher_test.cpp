#include "room/online_count_pusher.hpp"

#include <boost/test/unit_test.hpp>

using room::OnlineCountPusher;

BOOST_AUTO_TEST_CASE(the_first_members_are_pushed_at_once) {
  OnlineCountPusher p({});
  auto v = p.update(1, 0);
  BOOST_REQUIRE(v.has_value());  // 0 -> 1 is a 100% change
  BOOST_TEST(*v == 1);
}

BOOST_AUTO_TEST_CASE(small_changes_in_a_big_room_wait) {
  OnlineCountPusher p({});
  p.update(1000, 0);
  BOOST_TEST(!p.update(1003, 2000));  // 0.3% and < 10: not noticeable
  BOOST_TEST(!p.update(1009, 4000));
  auto v = p.update(1010, 5000);  // >= 10
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(*v == 1010);
}

BOOST_AUTO_TEST_CASE(at_most_once_per_second) {
  OnlineCountPusher p({});
  p.update(100, 0);
  BOOST_TEST(!p.update(200, 500));  // noticeable but too soon
  auto v = p.update(200, 1000);     // the periodic check sends it
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(*v == 200);
}

BOOST_AUTO_TEST_CASE(a_slow_drift_is_pushed_within_the_max_interval) {
  OnlineCountPusher p({});
  p.update(1000, 0);
  int64_t pushes = 0;
  for (int64_t t = 1000; t <= 61000; t += 1000) {
    if (p.update(1000 + t / 10000, t)) ++pushes;  // +1 every 10 s
  }
  BOOST_TEST(pushes == 2);  // at 30 s and at 60 s, not every second
}

BOOST_AUTO_TEST_CASE(a_quiet_room_pushes_nothing) {
  OnlineCountPusher p({});
  p.update(50, 0);
  for (int64_t t = 1000; t < 120000; t += 1000) BOOST_TEST(!p.update(50, t));
}

BOOST_AUTO_TEST_CASE(relative_threshold_in_a_small_room) {
  OnlineCountPusher p({0.05, 10, 1000, 30000});
  p.update(40, 0);
  auto v = p.update(42, 2000);  // 5% of 40
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(*v == 42);
}
