#include "core/media/rate_meter.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_CASE(averages_complete_seconds) {
  core::RateMeter m;
  // 125000 bytes per second = 1 Mbit/s, for 10 seconds.
  for (uint64_t ms = 0; ms < 10000; ms += 100) m.add(12500, ms);
  BOOST_TEST(m.bitsPerSecond(10000) == 1000000u);
  BOOST_TEST(m.total() == 1250000u);
}

BOOST_AUTO_TEST_CASE(falls_to_zero_when_idle) {
  core::RateMeter m;
  for (uint64_t ms = 0; ms < 5000; ms += 100) m.add(12500, ms);
  BOOST_TEST(m.bitsPerSecond(5000) == 1000000u);
  BOOST_TEST(m.bitsPerSecond(8000) < 1000000u);
  BOOST_TEST(m.bitsPerSecond(20000) == 0u);
}

BOOST_AUTO_TEST_CASE(a_shorter_window_inside_the_long_one) {
  core::BasicRateMeter<10> m;
  for (uint64_t ms = 0; ms < 9000; ms += 100) m.add(1, ms);     // 10 per second
  for (uint64_t ms = 9000; ms < 10000; ms += 50) m.add(1, ms);  // then 20
  BOOST_TEST(m.perSecond(10000, 1) == 20.0);
  BOOST_TEST(m.perSecond(10000, 10) == 11.0);
  BOOST_TEST(m.perSecond(10000) == 11.0);
  BOOST_TEST(m.bitsPerSecond(10000, 1) == 160u);
}

BOOST_AUTO_TEST_CASE(seconds_before_the_first_add_are_not_counted) {
  core::BasicRateMeter<10> m;
  BOOST_TEST(m.perSecond(5000) == 0.0);
  // From 40.5 s: second 40 is partial and left out; 41 and 42 are complete.
  for (uint64_t ms = 40500; ms < 43000; ms += 100) m.add(1, ms);
  BOOST_TEST(m.perSecond(43000) == 10.0);
  BOOST_TEST(m.perSecond(41000) == 0.0);  // nothing complete yet
}
