#include "mixer/vod_path.hpp"

#include <boost/test/unit_test.hpp>

using mixer::VodPath;

BOOST_AUTO_TEST_CASE(relative_names_are_accepted) {
  for (const char* ok : {"a.mp4", "live/cam-20261207.mp4", "a..b.flv", "dir/./x.mp4", ".hidden"})
    BOOST_TEST(VodPath::check(ok).empty(), ok);
}

BOOST_AUTO_TEST_CASE(absolute_dotdot_and_odd_names_are_refused) {
  BOOST_TEST(VodPath::check("/etc/passwd").find("absolute") != std::string::npos);
  for (const char* bad : {"..", "../a.mp4", "a/../../b.mp4", "a/..", "x/../y"})
    BOOST_TEST(VodPath::check(bad).find("..") != std::string::npos, bad);
  BOOST_TEST(!VodPath::check("").empty());
  BOOST_TEST(!VodPath::check("a//b.mp4").empty());
  BOOST_TEST(!VodPath::check("dir/").empty());
  BOOST_TEST(!VodPath::check("a\\..\\b").empty());
  BOOST_TEST(!VodPath::check(std::string("a\0b", 3)).empty());
  BOOST_TEST(!VodPath::check("a\nb").empty());
  BOOST_TEST(!VodPath::check(std::string(mixer::kMaxVodPathBytes + 1, 'a')).empty());
}

BOOST_AUTO_TEST_CASE(candidates_follow_the_directories_in_order) {
  const auto c = VodPath::candidates("live/x.mp4", {"vod", "", "/srv/recordings/"});
  BOOST_TEST(c.size() == 2u);
  BOOST_TEST(c[0] == "vod/live/x.mp4");
  BOOST_TEST(c[1] == "/srv/recordings/live/x.mp4");
}
