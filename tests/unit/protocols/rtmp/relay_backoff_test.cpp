#include "protocols/rtmp/relay_backoff.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using rtmp::RelayBackoff;

BOOST_AUTO_TEST_CASE(relay_backoff_doubles_from_one_second_to_thirty) {
  RelayBackoff b;
  std::vector<int64_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(b.failed(i * 1000));
  const std::vector<int64_t> want{1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
  BOOST_TEST(delays == want, boost::test_tools::per_element());
  BOOST_TEST(b.failures() == 8);
}

BOOST_AUTO_TEST_CASE(relay_backoff_resets_after_a_minute_of_publishing_only) {
  RelayBackoff b;
  for (int i = 0; i < 4; ++i) b.failed(0);  // 1, 2, 4, 8 s
  // A short publish does not forget the failures before it.
  b.published(100000);
  BOOST_TEST(b.failed(100000 + 59999) == 16000);
  // A minute of publishing does.
  b.published(200000);
  BOOST_TEST(b.failed(200000 + 60000) == 1000);
  BOOST_TEST(b.failed(270000) == 2000);
  // A failure to connect (no publish in between) keeps growing.
  BOOST_TEST(b.failed(400000) == 4000);
  b.reset();
  BOOST_TEST(b.failed(500000) == 1000);
}

BOOST_AUTO_TEST_CASE(relay_backoff_follows_a_configured_schedule) {
  RelayBackoff b({200, 1000, 5000});
  std::vector<int64_t> delays;
  for (int i = 0; i < 5; ++i) delays.push_back(b.failed(0));
  const std::vector<int64_t> want{200, 400, 800, 1000, 1000};
  BOOST_TEST(delays == want, boost::test_tools::per_element());
  // Very many failures: no overflow, still the cap.
  for (int i = 0; i < 100; ++i) b.failed(0);
  BOOST_TEST(b.failed(0) == 1000);
}
