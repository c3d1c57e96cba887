#include "room/gift_streaks.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <numeric>

#include "room/lottery.hpp"

using room::GiftStreaks;
using room::LikeWindow;
using room::Sender;

BOOST_AUTO_TEST_CASE(ninety_nine_clicks_in_a_row_become_five_messages) {
  GiftStreaks s(20, 1000);
  const Sender alice{"alice", "Alice", "", room::MemberRole::Member};
  std::vector<int64_t> flushed;
  for (int i = 0; i < 99; ++i) {
    if (auto f = s.click(alice, "rose", 1, i * 100)) {
      BOOST_TEST(f->gift == "rose");
      BOOST_TEST(f->from.nick == "Alice");
      flushed.push_back(f->count);
    }
  }
  BOOST_TEST(s.expire(9800 + 999).empty());  // not paused long enough yet
  BOOST_TEST(s.nextDueMs() == 9800 + 1000);
  for (auto& f : s.expire(9800 + 1000)) flushed.push_back(f.count);
  BOOST_TEST(flushed == (std::vector<int64_t>{20, 20, 20, 20, 19}),
             boost::test_tools::per_element());
  BOOST_TEST(std::accumulate(flushed.begin(), flushed.end(), int64_t{0}) == 99);
  BOOST_TEST(s.nextDueMs() == -1);
}

BOOST_AUTO_TEST_CASE(streaks_are_per_user_and_gift) {
  GiftStreaks s(20, 1000);
  const Sender a{"a", "a", "", room::MemberRole::Member}, b{"b", "b", "", room::MemberRole::Member};
  s.click(a, "rose", 3, 0);
  s.click(a, "car", 1, 10);
  s.click(b, "rose", 2, 20);
  auto out = s.expire(2000);
  BOOST_REQUIRE(out.size() == 3u);
  int64_t sum = 0;
  for (auto& f : out) sum += f.count;
  BOOST_TEST(sum == 6);
}

BOOST_AUTO_TEST_CASE(likes_are_summed_per_window) {
  LikeWindow w(1000);
  BOOST_TEST(w.nextDueMs() == -1);
  w.add("a", 1, 100);
  w.add("b", 5, 300);
  w.add("a", 2, 900);
  BOOST_TEST(!w.take(1099).has_value());
  auto t = w.take(1100);
  BOOST_REQUIRE(t.has_value());
  BOOST_TEST(t->first == 8);
  BOOST_TEST(t->second == 2u);  // distinct likers
  BOOST_TEST(!w.take(5000).has_value());
}

BOOST_AUTO_TEST_CASE(lottery_enters_keyword_senders_once_within_the_window) {
  room::Lottery l("lucky", 1000, 2000, 2);
  const Sender a{"a", "A", "", room::MemberRole::Member}, b{"b", "B", "", room::MemberRole::Member},
      c{"c", "C", "", room::MemberRole::Member};
  BOOST_TEST(!l.consider(a, "lucky", 999));         // before the window
  BOOST_TEST(l.consider(a, "so lucky!", 1000));     // the keyword anywhere in the text
  BOOST_TEST(!l.consider(a, "lucky again", 1500));  // once
  BOOST_TEST(!l.consider(b, "hello", 1500));        // no keyword
  BOOST_TEST(l.consider(b, "lucky", 1999));
  BOOST_TEST(!l.consider(c, "lucky", 2000));  // after the window
  BOOST_TEST(l.entrants().size() == 2u);
  const auto& w = l.draw();
  BOOST_TEST(w.size() == 2u);
  BOOST_TEST(w[0].id != w[1].id);
  BOOST_TEST(!l.consider(c, "lucky", 1500));  // drawn: closed
}

BOOST_AUTO_TEST_CASE(lottery_draws_are_uniform_enough) {
  std::map<std::string, int> wins;
  for (int round = 0; round < 2000; ++round) {
    room::Lottery l("k", 0, 10, 1);
    for (const char* id : {"a", "b", "c", "d"})
      l.consider({id, id, "", room::MemberRole::Member}, "k", 1);
    ++wins[l.draw().at(0).id];
  }
  for (const char* id : {"a", "b", "c", "d"}) {
    BOOST_TEST(wins[id] > 400);  // 500 expected each
    BOOST_TEST(wins[id] < 600);
  }
}
