#include "room/room_info.hpp"

#include <boost/test/unit_test.hpp>

using room::RoomInfo;

BOOST_AUTO_TEST_CASE(limits_are_the_seeds_and_errors_name_them) {
  RoomInfo r;
  BOOST_TEST(r.setAnnouncement(std::string(300, 'a')).ok());
  auto e = r.setAnnouncement(std::string(301, 'a'));
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(e.message.find("300") != std::string::npos);
  BOOST_TEST(r.announcement().size() == 300u);  // unchanged by the refused one
  BOOST_TEST(r.setIntroduction(std::string(240, 'i')).ok());
  BOOST_TEST(r.setIntroduction(std::string(241, 'i')).code == 10004);
}

BOOST_AUTO_TEST_CASE(attributes) {
  RoomInfo r;
  for (int i = 0; i < 10; ++i) BOOST_TEST(r.setAttribute("k" + std::to_string(i), "v").ok());
  auto e = r.setAttribute("k10", "v");
  BOOST_TEST(e.code == 10004);
  BOOST_TEST(e.message.find("10") != std::string::npos);
  BOOST_TEST(r.setAttribute("k3", "replaced").ok());  // replacing is not adding
  BOOST_TEST(r.setAttribute("k3", "").ok());          // empty removes
  BOOST_TEST(r.setAttribute("k10", "v").ok());
  BOOST_TEST(r.setAttribute("bad-key", "v").code == 10004);
  BOOST_TEST(r.setAttribute(std::string(17, 'k'), "v").code == 10004);
  BOOST_TEST(r.setAttribute("", "v").code == 10004);
  BOOST_TEST(r.setAttribute("big", std::string(513, 'x')).code == 10004);
  BOOST_TEST(r.setAttribute("k0", std::string(512, 'x')).ok());
  BOOST_TEST(r.attributes().size() == 10u);
}

BOOST_AUTO_TEST_CASE(status_is_one_of_the_five_states) {
  RoomInfo r;
  BOOST_TEST((r.status() == room::RoomStatus::Waiting));
  BOOST_TEST(r.setStatus(2).ok());
  BOOST_TEST((r.status() == room::RoomStatus::Live));
  BOOST_TEST(r.setStatus(0).code == 10004);
  BOOST_TEST(r.setStatus(6).code == 10004);
  BOOST_TEST((r.status() == room::RoomStatus::Live));
}
