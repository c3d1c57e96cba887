#include "core/log/log_limiter.hpp"

#include <spdlog/sinks/ostream_sink.h>

#include <boost/test/unit_test.hpp>
#include <sstream>

namespace {

// Routes the default logger into a string for the duration of a test.
struct CapturedLog {
  std::ostringstream text;
  std::shared_ptr<spdlog::logger> previous = spdlog::default_logger();

  CapturedLog() {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(text);
    auto logger = std::make_shared<spdlog::logger>("test", sink);
    logger->set_pattern("%l %v");
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~CapturedLog() { spdlog::set_default_logger(previous); }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    std::istringstream in(text.str());
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
};

struct Fixture {
  CapturedLog log;
  uint64_t now = 1000;
  std::string stream = "live/a";
  core::LogLimiter limiter{
      [this] { return "rtmp 1.2.3.4:5 " + stream; }, [this] { return now; }, {3, 1000}};
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(writes_burst_lines_per_key_then_counts, Fixture) {
  for (int i = 0; i < 10; ++i) limiter.warn("bad media", "bad video message {}", i);
  limiter.warn("other", "another kind");
  const std::vector<std::string> want = {
      "warning rtmp 1.2.3.4:5 live/a: bad video message 0",
      "warning rtmp 1.2.3.4:5 live/a: bad video message 1",
      "warning rtmp 1.2.3.4:5 live/a: bad video message 2",
      "warning rtmp 1.2.3.4:5 live/a: another kind",
  };
  BOOST_TEST(log.lines() == want, boost::test_tools::per_element());
  BOOST_TEST(limiter.suppressedTotal() == 7u);
}

BOOST_FIXTURE_TEST_CASE(the_count_comes_out_when_the_interval_ends, Fixture) {
  for (int i = 0; i < 5; ++i) limiter.warn("bad media", "bad {}", i);
  now += 999;
  limiter.expire();  // still the first interval
  BOOST_TEST(log.lines().size() == 3u);
  now += 1;
  stream = "live/b";  // the prefix is asked when a line is written
  limiter.expire();
  limiter.expire();  // once only
  BOOST_REQUIRE(log.lines().size() == 4u);
  BOOST_TEST(log.lines()[3] ==
             "warning rtmp 1.2.3.4:5 live/b: suppressed 2 similar lines (bad media)");
  // A new interval: three lines again.
  for (int i = 0; i < 4; ++i) limiter.warn("bad media", "again {}", i);
  BOOST_REQUIRE(log.lines().size() == 7u);
  BOOST_TEST(log.lines()[6] == "warning rtmp 1.2.3.4:5 live/b: again 2");
  // The next interval's first line reports the count before itself.
  now += 5000;
  limiter.warn("bad media", "later");
  BOOST_REQUIRE(log.lines().size() == 9u);
  BOOST_TEST(log.lines()[7] ==
             "warning rtmp 1.2.3.4:5 live/b: suppressed 1 similar lines (bad media)");
  BOOST_TEST(log.lines()[8] == "warning rtmp 1.2.3.4:5 live/b: later");
}

BOOST_FIXTURE_TEST_CASE(flush_reports_what_is_left_at_its_level, Fixture) {
  for (int i = 0; i < 4; ++i) limiter.debug("ignored tag", "ignored {}", i);
  for (int i = 0; i < 5; ++i) limiter.warn("bad media", "bad {}", i);
  limiter.flush();
  limiter.flush();  // nothing left the second time
  const auto lines = log.lines();
  BOOST_REQUIRE(lines.size() == 8u);
  BOOST_TEST(lines[6] == "debug rtmp 1.2.3.4:5 live/a: suppressed 1 similar lines (ignored tag)");
  BOOST_TEST(lines[7] == "warning rtmp 1.2.3.4:5 live/a: suppressed 2 similar lines (bad media)");
}

BOOST_FIXTURE_TEST_CASE(disabled_levels_are_neither_written_nor_counted, Fixture) {
  spdlog::default_logger()->set_level(spdlog::level::info);
  for (int i = 0; i < 10; ++i) limiter.debug("ignored tag", "ignored {}", i);
  limiter.flush();
  BOOST_TEST(log.lines().empty());
  BOOST_TEST(limiter.suppressedTotal() == 0u);
}

BOOST_FIXTURE_TEST_CASE(many_keys_share_a_bounded_table, Fixture) {
  // Keys are meant to be fixed phrases; even computed ones cannot grow it without end.
  for (int i = 0; i < 1000; ++i) limiter.warn(std::to_string(i), "line {}", i);
  BOOST_TEST(log.lines().size() < 40u);
  BOOST_TEST(limiter.suppressedTotal() > 900u);
}
