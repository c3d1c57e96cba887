#include "mixer/stall_policy.hpp"

#include <boost/test/unit_test.hpp>
#include <optional>

using mixer::InputShow;
using mixer::StallPolicy;

BOOST_AUTO_TEST_CASE(no_frame_yet_is_the_slate) {
  StallPolicy p{500, 3000};
  BOOST_TEST((p.showAt(std::nullopt, 0) == InputShow::Slate));
}

BOOST_AUTO_TEST_CASE(live_then_repeating_then_slate_then_live_again) {
  StallPolicy p{500, 3000};
  const int64_t last = 10'000;
  BOOST_TEST((p.showAt(last, last) == InputShow::Live));
  BOOST_TEST((p.showAt(last, last + 500) == InputShow::Live));
  BOOST_TEST((p.showAt(last, last + 501) == InputShow::Repeating));
  BOOST_TEST((p.showAt(last, last + 3500) == InputShow::Repeating));
  BOOST_TEST((p.showAt(last, last + 3501) == InputShow::Slate));
  BOOST_TEST((p.showAt(last, last + 60'000) == InputShow::Slate));
  // The input sends again: live at once.
  BOOST_TEST((p.showAt(last + 60'000, last + 60'010) == InputShow::Live));
}

BOOST_AUTO_TEST_CASE(no_repeat_goes_straight_to_the_slate) {
  StallPolicy p{200, 0};
  BOOST_TEST((p.showAt(0, 200) == InputShow::Live));
  BOOST_TEST((p.showAt(0, 201) == InputShow::Slate));
}

BOOST_AUTO_TEST_CASE(names) {
  BOOST_TEST(std::string(StallPolicy::name(InputShow::Live)) == "live");
  BOOST_TEST(std::string(StallPolicy::name(InputShow::Repeating)) == "repeating");
  BOOST_TEST(std::string(StallPolicy::name(InputShow::Slate)) == "slate");
}
