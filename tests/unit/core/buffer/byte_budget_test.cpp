#include "core/buffer/byte_budget.hpp"

#include <boost/test/unit_test.hpp>

using core::ByteBudget;

BOOST_AUTO_TEST_CASE(take_is_bounded_by_the_limit) {
  ByteBudget b("b", 100);
  BOOST_TEST(b.take(60));
  BOOST_TEST(b.take(40));
  BOOST_TEST(b.used() == 100u);
  const ByteBudget* refused = nullptr;
  BOOST_TEST(!b.take(1, &refused));
  BOOST_TEST(refused == &b);
  BOOST_TEST(b.used() == 100u);
  b.give(30);
  BOOST_TEST(b.take(30));
  BOOST_TEST(b.peak() == 100u);
  b.give(1000);  // more than held: clamps, never wraps
  BOOST_TEST(b.used() == 0u);
  BOOST_TEST(!b.take(101));
}

BOOST_AUTO_TEST_CASE(a_child_is_bounded_by_its_parent_and_counts_in_it) {
  ByteBudget total("total", 100);
  ByteBudget child("child", 30, &total);
  const ByteBudget* refused = nullptr;
  BOOST_TEST(child.take(30));
  BOOST_TEST(!child.take(1, &refused));
  BOOST_TEST(refused == &child);
  BOOST_TEST(total.used() == 30u);
  BOOST_TEST(total.take(60));
  BOOST_TEST(child.available() == 0u);
  BOOST_TEST(total.available() == 10u);
  child.give(20);  // child 10, total 70
  BOOST_TEST(child.available() == 20u);
  BOOST_TEST(!child.take(20 + 11, &refused));  // child has room for 20, total for 30
  BOOST_TEST(refused == &child);
  BOOST_TEST(total.take(25));           // total 95
  BOOST_TEST(child.available() == 5u);  // the parent has less room left than the child
  BOOST_TEST(!child.take(10, &refused));
  BOOST_TEST(refused == &total);  // all-or-nothing: the child took nothing
  BOOST_TEST(child.used() == 10u);
  BOOST_TEST(total.used() == 95u);
}

BOOST_AUTO_TEST_CASE(moving_to_an_ancestor_keeps_the_total) {
  ByteBudget total("total", 100);
  ByteBudget child("child", 30, &total);
  BOOST_TEST(child.take(25));
  child.moveToAncestor(25, total);
  BOOST_TEST(child.used() == 0u);
  BOOST_TEST(total.used() == 25u);
  BOOST_TEST(child.take(30));  // the child's share is free again
  BOOST_TEST(total.used() == 55u);
  total.give(25);
  BOOST_TEST(total.used() == 30u);
}
