#include "mixer/playlist_schedule.hpp"

#include <boost/test/unit_test.hpp>

using mixer::PlaylistItem;
using mixer::PlaylistSchedule;

namespace {

std::vector<PlaylistItem> scheduleItems(std::initializer_list<const char*> files) {
  std::vector<PlaylistItem> out;
  for (const char* f : files) out.push_back({f, std::nullopt});
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(plays_in_order_then_ends) {
  PlaylistSchedule s(scheduleItems({"a", "b", "c"}), false);
  for (size_t want : {0u, 1u, 2u}) {
    auto i = s.next();
    BOOST_REQUIRE(i);
    BOOST_TEST(*i == want);
    s.finished(true);
  }
  BOOST_TEST(!s.next());
  BOOST_TEST(s.why() == "the last item ended");
}

BOOST_AUTO_TEST_CASE(loops_and_counts_passes) {
  PlaylistSchedule s(scheduleItems({"a", "b"}), true);
  std::vector<size_t> order;
  for (int n = 0; n < 5; ++n) {
    order.push_back(*s.next());
    s.finished(true);
  }
  BOOST_TEST((order == std::vector<size_t>{0, 1, 0, 1, 0}));
  BOOST_TEST(s.passes() == 2u);
}

BOOST_AUTO_TEST_CASE(a_failed_item_is_skipped) {
  PlaylistSchedule s(scheduleItems({"a", "broken", "c"}), false);
  BOOST_TEST(*s.next() == 0u);
  s.finished(true);
  BOOST_TEST(*s.next() == 1u);
  s.finished(false);
  BOOST_TEST(*s.next() == 2u);
  s.finished(true);
  BOOST_TEST(!s.next());
}

BOOST_AUTO_TEST_CASE(a_loop_where_nothing_plays_ends_after_one_pass) {
  PlaylistSchedule s(scheduleItems({"x", "y"}), true);
  BOOST_TEST(*s.next() == 0u);
  s.finished(false);
  BOOST_TEST(*s.next() == 1u);
  s.finished(false);
  BOOST_TEST(!s.next());
  BOOST_TEST(s.why().find("whole pass") != std::string::npos);
  // One item playing in the pass keeps it looping.
  PlaylistSchedule t(scheduleItems({"x", "ok"}), true);
  t.next();
  t.finished(false);
  t.next();
  t.finished(true);
  BOOST_TEST(*t.next() == 0u);
}

BOOST_AUTO_TEST_CASE(a_new_list_takes_over_after_the_current_item) {
  PlaylistSchedule s(scheduleItems({"a", "b", "c"}), false);
  s.next();
  s.finished(true);
  BOOST_TEST(*s.next() == 1u);  // "b" plays; a PATCH comes
  s.replace(scheduleItems({"p", "q", "r", "s"}), false);
  s.finished(true);
  BOOST_TEST(*s.next() == 2u);
  BOOST_TEST(s.item(2).file == "r");
  // A shorter list: the current index is past its end, so it ends (or loops).
  s.replace(scheduleItems({"z"}), true);
  s.finished(true);
  BOOST_TEST(*s.next() == 0u);
  BOOST_TEST(s.item(0).file == "z");
}

BOOST_AUTO_TEST_CASE(start_at_waits_only_for_the_future) {
  std::vector<PlaylistItem> items = {{"a", std::nullopt}, {"b", 10'000}};
  PlaylistSchedule s(items, false);
  BOOST_TEST(s.waitMs(0, 9'000) == 0);
  BOOST_TEST(s.waitMs(1, 9'000) == 1'000);
  BOOST_TEST(s.waitMs(1, 10'000) == 0);
  BOOST_TEST(s.waitMs(1, 12'000) == 0);  // late: plays at once
  BOOST_TEST(s.waitMs(7, 0) == 0);
}

BOOST_AUTO_TEST_CASE(a_wait_cut_short_by_a_new_list_retries_the_same_index) {
  PlaylistSchedule s(scheduleItems({"a", "b"}), false);
  BOOST_TEST(*s.next() == 0u);
  s.finished(true);
  BOOST_TEST(*s.next() == 1u);  // "b" waits for its start_at; a PATCH comes
  s.replace(scheduleItems({"p", "q", "r"}), false);
  s.retry();
  BOOST_TEST(*s.next() == 1u);
  BOOST_TEST(s.item(1).file == "q");
  // A list too short for the index: the end (or the top when it loops).
  s.replace(scheduleItems({"z"}), false);
  s.retry();
  BOOST_TEST(!s.next());
}
