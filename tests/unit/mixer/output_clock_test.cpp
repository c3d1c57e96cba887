#include "mixer/output_clock.hpp"

#include <boost/test/unit_test.hpp>

using mixer::OutputClock;

namespace {
constexpr int64_t kMs = 1'000'000;
}

BOOST_AUTO_TEST_CASE(ticks_on_time_carry_the_frame_grid) {
  OutputClock c(30, 5'000 * kMs);
  int64_t lastPts = -1;
  for (int i = 0; i < 90; ++i) {
    const int64_t due = c.nextDueNs();
    BOOST_TEST(due == c.dueNs(i));
    OutputClock::Tick t = c.take(due + kMs / 10);  // a little after each deadline
    BOOST_TEST(t.index == i);
    BOOST_TEST(t.skipped == 0u);
    BOOST_TEST(t.ptsMs > lastPts);
    if (lastPts >= 0) BOOST_TEST((t.ptsMs - lastPts == 33 || t.ptsMs - lastPts == 34));
    lastPts = t.ptsMs;
  }
  BOOST_TEST(lastPts == 2967);                           // 89 * 1000 / 30
  BOOST_TEST(c.dueNs(90) == 5'000 * kMs + 3'000 * kMs);  // no drift over 3 s
}

BOOST_AUTO_TEST_CASE(a_late_caller_skips_ticks_but_pts_stay_on_the_grid) {
  OutputClock c(25, 0);
  BOOST_TEST(c.take(0).index == 0);
  BOOST_TEST(c.take(40 * kMs).index == 1);
  // The thread was away for 300 ms: tick 8 (320 ms) is the latest one due.
  OutputClock::Tick t = c.take(330 * kMs);
  BOOST_TEST(t.index == 8);
  BOOST_TEST(t.ptsMs == 320);
  BOOST_TEST(t.skipped == 6u);
  BOOST_TEST(c.skipped() == 6u);
  BOOST_TEST(c.nextDueNs() == 360 * kMs);
  // One interval late is not skipped (the next tick is due; render it).
  OutputClock::Tick u = c.take(399 * kMs);
  BOOST_TEST(u.index == 9);
  BOOST_TEST(u.skipped == 0u);
}

BOOST_AUTO_TEST_CASE(pts_do_not_depend_on_inputs_or_wall_time_jitter) {
  OutputClock a(15, 0), b(15, 123 * kMs);
  for (int i = 0; i < 10; ++i)
    BOOST_TEST(a.take(a.nextDueNs()).ptsMs == b.take(b.nextDueNs() + 7 * kMs).ptsMs);
}
