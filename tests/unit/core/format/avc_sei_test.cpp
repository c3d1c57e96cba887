#include "core/format/avc_sei.hpp"

#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "core/format/timed_metadata.hpp"

using Bytes = std::vector<uint8_t>;

namespace {

const Bytes kAud = {0x09, 0xf0};
const Bytes kIdr = {0x65, 0x88, 0x84};

Bytes avcc(const std::vector<Bytes>& units) {
  Bytes out;
  for (const Bytes& u : units) {
    const auto n = static_cast<uint32_t>(u.size());
    out.insert(out.end(), {uint8_t(n >> 24), uint8_t(n >> 16), uint8_t(n >> 8), uint8_t(n)});
    out.insert(out.end(), u.begin(), u.end());
  }
  return out;
}

// The units of a 4-byte-length access unit; fails the test on a bad length.
std::vector<Bytes> units(const Bytes& au) {
  std::vector<Bytes> out;
  for (size_t pos = 0; pos < au.size();) {
    BOOST_REQUIRE(pos + 4 <= au.size());
    const size_t n = (size_t{au[pos]} << 24) | (size_t{au[pos + 1]} << 16) |
                     (size_t{au[pos + 2]} << 8) | au[pos + 3];
    BOOST_REQUIRE(pos + 4 + n <= au.size());
    out.emplace_back(au.begin() + pos + 4, au.begin() + pos + 4 + n);
    pos += 4 + n;
  }
  return out;
}

std::string seiText(const Bytes& nal) {
  std::array<uint8_t, 16> uuid{};
  Bytes payload;
  std::string error;
  BOOST_REQUIRE_MESSAGE(core::parseSeiUserDataUnregistered(nal, uuid, payload, error), error);
  BOOST_TEST((uuid == core::kRoomcastSeiUuid));
  return {payload.begin(), payload.end()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(sei_goes_after_the_aud) {
  const std::vector<std::string> payloads = {R"({"event":"message"})"};
  const Bytes out =
      core::insertSeiAfterAud(avcc({kAud, kIdr}), 4, payloads, core::kRoomcastSeiUuid);
  const auto nals = units(out);
  BOOST_REQUIRE(nals.size() == 3u);
  BOOST_TEST(nals[0] == kAud);
  BOOST_TEST((nals[1][0] & 0x1F) == 6);
  BOOST_TEST(seiText(nals[1]) == payloads[0]);
  BOOST_TEST(nals[2] == kIdr);
}

BOOST_AUTO_TEST_CASE(without_aud_sei_goes_first) {
  const Bytes slice = {0x41, 0x9a, 0x02};
  const std::vector<std::string> payloads = {"x"};
  const auto nals =
      units(core::insertSeiAfterAud(avcc({slice}), 4, payloads, core::kRoomcastSeiUuid));
  BOOST_REQUIRE(nals.size() == 2u);
  BOOST_TEST(seiText(nals[0]) == "x");
  BOOST_TEST(nals[1] == slice);
}

BOOST_AUTO_TEST_CASE(several_payloads_keep_their_order) {
  const std::vector<std::string> payloads = {"first", "second", std::string(300, 'z')};
  const auto nals =
      units(core::insertSeiAfterAud(avcc({kAud, kIdr}), 4, payloads, core::kRoomcastSeiUuid));
  BOOST_REQUIRE(nals.size() == 5u);
  BOOST_TEST(nals[0] == kAud);
  BOOST_TEST(seiText(nals[1]) == "first");
  BOOST_TEST(seiText(nals[2]) == "second");
  BOOST_TEST(seiText(nals[3]) == payloads[2]);  // payloadSize over 255 (ff ff.. form)
  BOOST_TEST(nals[4] == kIdr);
}

BOOST_AUTO_TEST_CASE(length_size_2_is_left_alone) {
  const std::vector<std::string> payloads = {"x"};
  const Bytes au = {0, 2, 0x09, 0xf0, 0, 3, 0x65, 0x88, 0x84};  // 2-byte lengths
  BOOST_TEST(core::insertSeiAfterAud(au, 2, payloads, core::kRoomcastSeiUuid).empty());
  BOOST_TEST(core::insertSeiAfterAud(au, 1, payloads, core::kRoomcastSeiUuid).empty());
  BOOST_TEST(core::insertSeiAfterAud(au, 0, payloads, core::kRoomcastSeiUuid).empty());
}

BOOST_AUTO_TEST_CASE(nothing_to_do_gives_nothing) {
  const std::vector<std::string> none;
  const std::vector<std::string> one = {"x"};
  BOOST_TEST(core::insertSeiAfterAud(avcc({kIdr}), 4, none, core::kRoomcastSeiUuid).empty());
  BOOST_TEST(core::insertSeiAfterAud(Bytes{}, 4, one, core::kRoomcastSeiUuid).empty());
}

BOOST_AUTO_TEST_CASE(a_truncated_aud_is_not_split_and_the_bytes_are_kept) {
  // The first length runs past the end: not taken as an AUD, SEI first, the
  // original bytes follow untouched.
  const Bytes au = {0, 0, 0, 9, 0x09, 0xf0};
  const std::vector<std::string> one = {"x"};
  const Bytes out = core::insertSeiAfterAud(au, 4, one, core::kRoomcastSeiUuid);
  BOOST_REQUIRE(out.size() > au.size());
  BOOST_TEST(Bytes(out.end() - static_cast<std::ptrdiff_t>(au.size()), out.end()) == au);
  const size_t n = (size_t{out[0]} << 24) | (size_t{out[1]} << 16) | (size_t{out[2]} << 8) | out[3];
  BOOST_TEST(seiText(Bytes(out.begin() + 4, out.begin() + 4 + static_cast<std::ptrdiff_t>(n))) ==
             "x");
}
