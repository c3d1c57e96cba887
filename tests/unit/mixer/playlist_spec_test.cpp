#include "mixer/playlist_spec.hpp"

#include <boost/test/unit_test.hpp>

using mixer::parseIsoTimeMs;
using mixer::PlaylistSpec;
using nlohmann::json;

namespace {

std::string playlistErrorOf(const json& j) {
  std::string error;
  BOOST_TEST(!PlaylistSpec::parse(j, error));
  return error;
}

json playlistBase() {
  return {{"output", "live/vod"}, {"items", {{{"file", "a.mp4"}}, {{"file", "b.flv"}}}}};
}

}  // namespace

BOOST_AUTO_TEST_CASE(parse_and_round_trip) {
  std::string error;
  json j = playlistBase();
  j["items"][1]["start_at"] = "2026-12-07T22:00:00.250Z";
  j["loop"] = true;
  auto s = PlaylistSpec::parse(j, error);
  BOOST_REQUIRE_MESSAGE(s, error);
  BOOST_TEST(s->key() == "live/vod");
  BOOST_TEST(s->items.size() == 2u);
  BOOST_TEST(!s->items[0].startAt);
  BOOST_TEST(*s->items[1].startAt == 1796680800250);
  BOOST_TEST(s->loop);
  auto again = PlaylistSpec::parse(s->toJson(), error);
  BOOST_REQUIRE_MESSAGE(again, error);
  BOOST_TEST(again->items == s->items);
}

BOOST_AUTO_TEST_CASE(bad_specs_name_the_field) {
  json j = playlistBase();
  j["items"][1]["file"] = "../secret.mp4";
  BOOST_TEST(playlistErrorOf(j).starts_with("items[1].file:"));
  j = playlistBase();
  j["items"][0]["file"] = "/etc/passwd";
  BOOST_TEST(playlistErrorOf(j).find("absolute") != std::string::npos);
  j = playlistBase();
  j["items"] = json::array();
  BOOST_TEST(playlistErrorOf(j).starts_with("items:"));
  j = playlistBase();
  j["output"] = "novalidname";
  BOOST_TEST(playlistErrorOf(j).starts_with("output:"));
  j = playlistBase();
  j["items"][0]["start_at"] = "tomorrow";
  BOOST_TEST(playlistErrorOf(j).starts_with("items[0].start_at:"));
  j = playlistBase();
  j["items"][0]["start_at"] = 12;  // 1970: a unit mistake
  BOOST_TEST(playlistErrorOf(j).starts_with("items[0].start_at:"));
  j = playlistBase();
  j["items"][0]["volume"] = 1;
  BOOST_TEST(playlistErrorOf(j).find("unknown field") != std::string::npos);
  j = playlistBase();
  j["loop"] = "yes";
  BOOST_TEST(playlistErrorOf(j).starts_with("loop:"));
}

BOOST_AUTO_TEST_CASE(patch_changes_items_and_loop_only) {
  std::string error;
  auto s = PlaylistSpec::parse(playlistBase(), error);
  BOOST_REQUIRE(s);
  auto p = s->patched({{"loop", true}, {"items", {{{"file", "c.mp4"}}}}}, error);
  BOOST_REQUIRE_MESSAGE(p, error);
  BOOST_TEST(p->loop);
  BOOST_TEST(p->items.size() == 1u);
  BOOST_TEST(p->items[0].file == "c.mp4");
  BOOST_TEST(!s->patched({{"output", "live/other"}}, error));
  BOOST_TEST(error.find("output") != std::string::npos);
  BOOST_TEST(!s->patched({{"items", {{{"file", "a/../../b"}}}}}, error));
  BOOST_TEST(error.starts_with("items[0].file:"));
}

BOOST_AUTO_TEST_CASE(iso_times) {
  BOOST_TEST(*parseIsoTimeMs("1970-01-01T00:00:00Z") == 0);
  BOOST_TEST(*parseIsoTimeMs("2026-12-07T22:00:00Z") == 1796680800000);
  BOOST_TEST(*parseIsoTimeMs("2026-12-07T23:00:00+01:00") == 1796680800000);
  BOOST_TEST(*parseIsoTimeMs("2026-12-07T21:30:00.5-00:30") == 1796680800500);
  BOOST_TEST(!parseIsoTimeMs("2026-12-07T22:00:00"));  // no zone
  BOOST_TEST(!parseIsoTimeMs("2026-02-30T22:00:00Z"));
  BOOST_TEST(!parseIsoTimeMs("2026-12-07T24:00:00Z"));
  BOOST_TEST(!parseIsoTimeMs("2026-12-07T22:00:00Zjunk"));
  BOOST_TEST(!parseIsoTimeMs(""));
}
