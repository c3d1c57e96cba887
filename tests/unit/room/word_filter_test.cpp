#include "room/word_filter.hpp"

#include <boost/test/unit_test.hpp>

using room::WordFilter;

BOOST_AUTO_TEST_CASE(masks_every_match_case_insensitively) {
  std::string error;
  auto f = WordFilter::parse("# comment\nspam\n  BadWord \n\n脏话\n", error);
  BOOST_REQUIRE(f);
  BOOST_TEST(error.empty());
  BOOST_TEST(f->size() == 3u);
  std::string text = "no SPAM here, badword and spamspam, 脏话!";
  BOOST_TEST(f->mask(text) == 5u);
  BOOST_TEST(text == "no **** here, ******* and ********, **!");
  std::string clean = "all good";
  BOOST_TEST(f->mask(clean) == 0u);
  BOOST_TEST(clean == "all good");
  BOOST_TEST(f->matches("Spam"));
  BOOST_TEST(!f->matches("spa m"));
}

BOOST_AUTO_TEST_CASE(the_longest_word_wins_at_one_place) {
  std::string error;
  auto f = WordFilter::parse("bad\nbadword\n", error);
  std::string text = "badwords";
  f->mask(text);
  BOOST_TEST(text == "*******s");
}

BOOST_AUTO_TEST_CASE(bad_lists_are_refused_with_the_line) {
  std::string error;
  BOOST_TEST(!WordFilter::parse("ok\n" + std::string(65, 'x') + "\n", error));
  BOOST_TEST(error.find("line 2") != std::string::npos);
  auto empty = WordFilter::parse("", error);
  BOOST_REQUIRE(empty);
  BOOST_TEST(empty->size() == 0u);
}
