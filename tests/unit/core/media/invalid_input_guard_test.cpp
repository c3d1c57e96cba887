#include "core/media/invalid_input_guard.hpp"

#include <boost/test/unit_test.hpp>

using core::InvalidInputGuard;

BOOST_AUTO_TEST_CASE(all_invalid_trips_after_more_than_the_limit) {
  InvalidInputGuard g(100, 50);
  for (int i = 0; i < 50; ++i) BOOST_TEST(!g.record(false));
  BOOST_TEST(g.record(false));  // the 51st
  BOOST_TEST(g.invalidInWindow() == 51u);
  BOOST_TEST(g.seenInWindow() == 51u);
}

BOOST_AUTO_TEST_CASE(half_invalid_never_trips) {
  InvalidInputGuard g(100, 50);
  for (int i = 0; i < 10000; ++i) BOOST_TEST_REQUIRE(!g.record(i % 2 == 0));
  BOOST_TEST(g.invalidInWindow() == 50u);
  BOOST_TEST(g.seenInWindow() == 100u);
}

BOOST_AUTO_TEST_CASE(old_invalid_messages_leave_the_window) {
  InvalidInputGuard g(10, 5);
  for (int i = 0; i < 5; ++i) BOOST_TEST(!g.record(false));
  for (int i = 0; i < 10; ++i) BOOST_TEST(!g.record(true));
  BOOST_TEST(g.invalidInWindow() == 0u);
  // Five bad in a row again is still at the limit, the sixth within ten trips.
  for (int i = 0; i < 5; ++i) BOOST_TEST(!g.record(false));
  BOOST_TEST(!g.record(true));
  BOOST_TEST(g.record(false));
}

BOOST_AUTO_TEST_CASE(a_burst_of_bad_messages_in_good_input_is_tolerated) {
  InvalidInputGuard g(100, 50);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 30; ++i) BOOST_TEST_REQUIRE(!g.record(false));
    for (int i = 0; i < 70; ++i) BOOST_TEST_REQUIRE(!g.record(true));
  }
}
