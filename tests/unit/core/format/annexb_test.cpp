#include "core/format/annexb.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/format/avc_config.hpp"

using Bytes = std::vector<uint8_t>;

namespace {

// ffmpeg -f lavfi -i testsrc=size=1280x720:rate=30 -c:v libx264 -profile:v high (as in
// avc_config_test).
const Bytes kSps = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
                    0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
const Bytes kPps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
const Bytes kSei = {0x06, 0x05, 0x01, 0x80};
const Bytes kIdr = {0x65, 0x88, 0x84, 0x00, 0x03, 0x01};

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<Bytes> split(const Bytes& in) {
  std::vector<Bytes> out;
  for (auto unit : core::splitAnnexB(in)) out.emplace_back(unit.begin(), unit.end());
  return out;
}

const Bytes k4 = {0, 0, 0, 1};
const Bytes k3 = {0, 0, 1};

}  // namespace

BOOST_AUTO_TEST_CASE(three_and_four_byte_start_codes) {
  const auto units = split(cat({k4, kSps, k3, kPps, k4, kSei, k3, kIdr}));
  BOOST_REQUIRE(units.size() == 4u);
  BOOST_TEST(units[0] == kSps);  // the 4-byte code's leading zero is not the SPS's
  BOOST_TEST(units[1] == kPps);
  BOOST_TEST(units[2] == kSei);
  BOOST_TEST(units[3] == kIdr);  // emulation prevention (00 03 01) left in the unit
}

BOOST_AUTO_TEST_CASE(trailing_zeros_are_not_part_of_a_unit) {
  const auto units = split(cat({k3, kSps, {0, 0, 0}, k4, kPps, {0, 0}}));
  BOOST_REQUIRE(units.size() == 2u);
  BOOST_TEST(units[0] == kSps);
  BOOST_TEST(units[1] == kPps);
}

BOOST_AUTO_TEST_CASE(empty_and_startless_input_give_no_units) {
  BOOST_TEST(core::splitAnnexB({}).empty());
  BOOST_TEST(split(kSps).empty());  // no start code: not Annex-B
  BOOST_TEST(split(k4).empty());    // a start code and nothing after it
  BOOST_TEST(split(cat({k3, k3, {0, 0}, k4})).empty());
  BOOST_TEST(core::annexBToAvcc({}).empty());
}

BOOST_AUTO_TEST_CASE(bytes_before_the_first_start_code_are_skipped) {
  const auto units = split(cat({{0x12, 0x34}, k3, kPps}));
  BOOST_REQUIRE(units.size() == 1u);
  BOOST_TEST(units[0] == kPps);
}

BOOST_AUTO_TEST_CASE(a_unit_cut_short_at_the_end_is_kept_as_it_is) {
  // A truncated last unit (no more start code): the bytes there are, minus zeros.
  const Bytes cut(kIdr.begin(), kIdr.begin() + 2);
  const auto units = split(cat({k4, kSps, k4, cut}));
  BOOST_REQUIRE(units.size() == 2u);
  BOOST_TEST(units[1] == cut);
}

BOOST_AUTO_TEST_CASE(annexb_to_avcc_prefixes_four_byte_lengths) {
  const Bytes out = core::annexBToAvcc(cat({k4, kSei, k3, kIdr, {0}}));
  const Bytes expected = cat({{0, 0, 0, 4}, kSei, {0, 0, 0, 6}, kIdr});
  BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(avc_config_from_annexb_extradata) {
  const Bytes record = core::avcConfigFromAnnexB(cat({k4, kSps, k4, kPps}));
  BOOST_TEST(record == core::makeAvcDecoderConfig({kSps}, {kPps}, 4));
  auto info = core::parseAvcDecoderConfig(record);
  BOOST_REQUIRE(info);
  BOOST_TEST(info->nalLengthSize == 4);
  BOOST_TEST(info->width == 1280);
  BOOST_TEST(info->height == 720);
  // Already a record (mp4-style extradata): returned as it is.
  BOOST_TEST(core::avcConfigFromAnnexB(record) == record);
}

BOOST_AUTO_TEST_CASE(avc_config_needs_a_sps_and_a_pps) {
  BOOST_TEST(core::avcConfigFromAnnexB({}).empty());
  BOOST_TEST(core::avcConfigFromAnnexB(cat({k4, kSps})).empty());
  BOOST_TEST(core::avcConfigFromAnnexB(cat({k4, kPps, k4, kIdr})).empty());
  // A truncated SPS (under 4 bytes) is refused by makeAvcDecoderConfig.
  BOOST_TEST(core::avcConfigFromAnnexB(cat({k4, {0x67, 0x64}, k4, kPps})).empty());
}
