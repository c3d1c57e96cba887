#include "mixer/clock_zone.hpp"

#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

using mixer::ClockZone;

namespace {

// 2026-03-29 01:00:00 UTC: Europe/Berlin goes from CET (+1) to CEST (+2).
constexpr int64_t kBerlinSpring2026 = 1774746000;
// 2026-10-25 01:00:00 UTC: back to CET.
constexpr int64_t kBerlinAutumn2026 = 1792890000;
// 2026-12-07 12:00:00 UTC.
constexpr int64_t kDec2026 = 1796644800;

ClockZone zone(const std::string& name, const std::string& dir = mixer::kZoneinfoDir) {
  std::string error;
  auto z = ClockZone::parse(name, error, dir);
  BOOST_REQUIRE_MESSAGE(z, error);
  return *z;
}

std::string refusal(const std::string& name, const std::string& dir = mixer::kZoneinfoDir) {
  std::string error;
  BOOST_TEST(!ClockZone::parse(name, error, dir), name);
  return error;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tokyo_is_nine_hours_east_without_transitions) {
  ClockZone tokyo = zone("Asia/Tokyo");
  BOOST_TEST(tokyo.offsetAt(kDec2026) == 9 * 3600);
  BOOST_TEST(tokyo.abbreviationAt(kDec2026) == "JST");
  BOOST_TEST(tokyo.offsetAt(kBerlinSpring2026) == 9 * 3600);
  BOOST_TEST(!tokyo.nextTransitionAfter(kDec2026));
  mixer::ClockState s = tokyo.stateAt(1'000'000, kDec2026);
  BOOST_TEST(s.ptsOffsetMs == 1'000'000 + 9 * 3600 * 1000);
  BOOST_TEST(s.utcOffset == 9 * 3600);
  BOOST_TEST(!s.validUntil);
}

BOOST_AUTO_TEST_CASE(berlin_changes_at_the_2026_dst_transitions) {
  ClockZone berlin = zone("Europe/Berlin");
  BOOST_TEST(berlin.offsetAt(kBerlinSpring2026 - 1) == 3600);
  BOOST_TEST(berlin.abbreviationAt(kBerlinSpring2026 - 1) == "CET");
  BOOST_TEST(berlin.offsetAt(kBerlinSpring2026) == 7200);
  BOOST_TEST(berlin.abbreviationAt(kBerlinSpring2026) == "CEST");
  BOOST_TEST(berlin.nextTransitionAfter(kBerlinSpring2026 - 86400).value_or(0) ==
             kBerlinSpring2026);
  BOOST_TEST(berlin.nextTransitionAfter(kBerlinSpring2026).value_or(0) == kBerlinAutumn2026);
  BOOST_TEST(berlin.offsetAt(kBerlinAutumn2026) == 3600);
  mixer::ClockState before = berlin.stateAt(0, kBerlinSpring2026 - 60);
  mixer::ClockState after = berlin.stateAt(0, kBerlinSpring2026);
  BOOST_TEST(before.validUntil.value_or(0) == kBerlinSpring2026);
  BOOST_TEST(after.ptsOffsetMs - before.ptsOffsetMs == 3600 * 1000);
  BOOST_TEST(after.abbreviation == "CEST");
}

BOOST_AUTO_TEST_CASE(fixed_offsets_and_utc) {
  ClockZone india = zone("+05:30");
  BOOST_TEST(india.offsetAt(kDec2026) == 5 * 3600 + 30 * 60);
  BOOST_TEST(india.abbreviationAt(kDec2026) == "+0530");
  BOOST_TEST(!india.nextTransitionAfter(kDec2026));
  BOOST_TEST(zone("-03:00").offsetAt(0) == -3 * 3600);
  ClockZone utc = zone("UTC");
  BOOST_TEST(utc.offsetAt(kDec2026) == 0);
  BOOST_TEST(utc.abbreviationAt(kDec2026) == "UTC");
}

BOOST_AUTO_TEST_CASE(after_the_table_the_footer_rule_holds) {
  // Debian's files are "fat" (transitions to 2037); beyond, the POSIX TZ footer.
  ClockZone berlin = zone("Europe/Berlin");
  constexpr int64_t kSpring2100 = 4109878800;  // 2100-03-28 01:00:00 UTC
  BOOST_TEST(berlin.offsetAt(kSpring2100 - 1) == 3600);
  BOOST_TEST(berlin.offsetAt(kSpring2100) == 7200);
  BOOST_TEST(berlin.abbreviationAt(kSpring2100) == "CEST");
  BOOST_TEST(berlin.nextTransitionAfter(kSpring2100 - 86400).value_or(0) == kSpring2100);
  // Southern hemisphere: Sydney's DST spans the new year (AEDT +11 in January).
  ClockZone sydney = zone("Australia/Sydney");
  constexpr int64_t kJan2100 = 4102444800;  // 2100-01-01 00:00:00 UTC
  BOOST_TEST(sydney.offsetAt(kJan2100) == 11 * 3600);
  BOOST_TEST(sydney.offsetAt(kJan2100 + 180 * 86400) == 10 * 3600);
}

BOOST_AUTO_TEST_CASE(bad_names_and_files_are_refused) {
  BOOST_TEST(refusal("../../etc/passwd").find("not UTC, +hh:mm or an IANA zone name") !=
             std::string::npos);
  BOOST_TEST(!refusal("/etc/localtime").empty());
  BOOST_TEST(!refusal("Europe/../../etc/passwd").empty());
  BOOST_TEST(!refusal("Europe/Berlin;rm").empty());
  BOOST_TEST(!refusal("+25:00").empty());
  BOOST_TEST(!refusal("").empty());
  BOOST_TEST(refusal("Asia/Nowhere") == "time zone Asia/Nowhere: no such zone");
  BOOST_TEST(refusal("Europe") == "time zone Europe: not a zone file");  // a directory

  char tmpl[] = "/tmp/clock_zone_test.XXXXXX";
  BOOST_REQUIRE(::mkdtemp(tmpl));
  std::string dir = tmpl;
  std::ofstream(dir + "/Fake") << "not a zone\n";
  std::ofstream(dir + "/Short") << std::string("TZif2\0\0\0", 8);
  std::string truncated;
  {
    std::ifstream in(std::string(mixer::kZoneinfoDir) + "/Europe/Berlin", std::ios::binary);
    truncated.assign(std::istreambuf_iterator<char>(in), {});
  }
  std::ofstream(dir + "/Cut", std::ios::binary) << truncated.substr(0, truncated.size() / 2);
  BOOST_TEST(refusal("Fake", dir) == "time zone Fake: not a TZif file");
  BOOST_TEST(refusal("Short", dir) == "time zone Short: not a TZif file");
  BOOST_TEST(refusal("Cut", dir) == "time zone Cut: truncated TZif data");
  std::system(("rm -rf '" + dir + "'").c_str());
}

BOOST_AUTO_TEST_CASE(agrees_with_pythons_zoneinfo) {
  // Offsets on the 15th of Jan/Apr/Jul/Oct at 12:00 UTC in 2024 (table), 2041 and 2077
  // (footer rules: negative DST, southern, half-hour, <+1030> names), and next
  // transitions, as Python's zoneinfo (an independent reader of the same files) gives.
  const int64_t times[] = {1705320000, 1713182400, 1721044800, 1728993600, 2241864000, 2249640000,
                           2257502400, 2265451200, 3377937600, 3385713600, 3393576000, 3401524800};
  const std::pair<const char*, std::vector<int32_t>> expected[] = {
      {"Europe/Dublin", {0, 3600, 3600, 3600, 0, 3600, 3600, 3600, 0, 3600, 3600, 3600}},
      {"America/New_York",
       {-18000, -14400, -14400, -14400, -18000, -14400, -14400, -14400, -18000, -14400, -14400,
        -14400}},
      {"Australia/Sydney",
       {39600, 36000, 36000, 39600, 39600, 36000, 36000, 39600, 39600, 36000, 36000, 39600}},
      {"America/Santiago",
       {-10800, -14400, -14400, -10800, -10800, -14400, -14400, -10800, -10800, -14400, -14400,
        -10800}},
      {"Pacific/Chatham",
       {49500, 45900, 45900, 49500, 49500, 45900, 45900, 49500, 49500, 45900, 45900, 49500}},
      {"Asia/Tehran", std::vector<int32_t>(12, 12600)},
      {"America/Sao_Paulo", std::vector<int32_t>(12, -10800)},
      {"Australia/Lord_Howe",
       {39600, 37800, 37800, 39600, 39600, 37800, 37800, 39600, 39600, 37800, 37800, 39600}},
  };
  for (const auto& [name, offsets] : expected) {
    ClockZone z = zone(name);
    for (size_t i = 0; i < 12; ++i)
      BOOST_TEST(z.offsetAt(times[i]) == offsets[i], name << " " << i);
  }
  BOOST_TEST(zone("America/New_York").nextTransitionAfter(3377937600).value_or(0) == 3382930800);
  BOOST_TEST(zone("America/New_York").abbreviationAt(3382930800) == "EDT");
  BOOST_TEST(zone("Europe/Dublin").nextTransitionAfter(2249640000).value_or(0) == 2266448400);
  BOOST_TEST(zone("Europe/Dublin").abbreviationAt(2266448400) == "GMT");
  BOOST_TEST(zone("Australia/Lord_Howe").nextTransitionAfter(3377937600).value_or(0) == 3384687600);
  BOOST_TEST(zone("Australia/Lord_Howe").abbreviationAt(3384687600) == "+1030");
  BOOST_TEST(zone("America/Santiago").nextTransitionAfter(2241864000).value_or(0) == 2248916400);
  BOOST_TEST(!zone("America/Sao_Paulo").nextTransitionAfter(2241864000));
}
