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
