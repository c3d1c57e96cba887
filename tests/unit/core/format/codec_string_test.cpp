#include "core/format/codec_string.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "core/format/aac_config.hpp"
#include "core/format/avc_config.hpp"

using Bytes = std::vector<uint8_t>;

namespace {
// SPS of a 1280x720 High profile level 3.1 stream (libx264), and a PPS.
const Bytes kSps = {0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00,
                    0x00, 0x03, 0x00, 0x10, 0x00, 0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60};
const Bytes kPps = {0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0};
// Constrained Baseline level 3.0 (constraint_set0 and set1: 0xe0).
const Bytes kSpsBaseline = {0x67, 0x42, 0xe0, 0x1e, 0xd9, 0x01, 0x41, 0xfb};
}  // namespace

BOOST_AUTO_TEST_CASE(h264_high_and_aac_lc) {
  const Bytes avcC = core::makeAvcDecoderConfig({kSps}, {kPps});
  const Bytes asc = core::makeAudioSpecificConfig(2, 48000, 2);  // 0x11 0x90
  BOOST_TEST(core::rfc6381Codecs(avcC, asc) == "avc1.64001f,mp4a.40.2");
}

BOOST_AUTO_TEST_CASE(the_profile_bytes_are_the_records_in_hex) {
  const Bytes avcC = core::makeAvcDecoderConfig({kSpsBaseline}, {kPps});
  BOOST_TEST(core::avcCodecString(avcC) == "avc1.42e01e");
}

BOOST_AUTO_TEST_CASE(he_aac_object_types_in_decimal) {
  // Explicit hierarchical signalling (14496-3 1.6.2.1): type 5, 24 kHz core, stereo,
  // extension 48 kHz, core type 2 (LC), GASpecificConfig.
  BOOST_TEST(core::aacCodecString(Bytes{0x2b, 0x11, 0x88, 0x00}) == "mp4a.40.5");
  // Type 29 (PS) over a mono LC core.
  BOOST_TEST(core::aacCodecString(Bytes{0xeb, 0x09, 0x88, 0x00}) == "mp4a.40.29");
  // An escaped object type (31 + 6 bits) is still written in decimal.
  BOOST_TEST(core::aacCodecString(core::makeAudioSpecificConfig(42, 48000, 2)) == "mp4a.40.42");
}

BOOST_AUTO_TEST_CASE(a_missing_track_is_left_out) {
  const Bytes avcC = core::makeAvcDecoderConfig({kSps}, {kPps});
  const Bytes asc = core::makeAudioSpecificConfig(2, 44100, 1);
  BOOST_TEST(core::rfc6381Codecs(avcC, {}) == "avc1.64001f");
  BOOST_TEST(core::rfc6381Codecs({}, asc) == "mp4a.40.2");
  BOOST_TEST(core::rfc6381Codecs({}, {}) == "");
}

BOOST_AUTO_TEST_CASE(an_unreadable_config_gives_no_string) {
  const Bytes avcC = core::makeAvcDecoderConfig({kSps}, {kPps});
  const Bytes asc = core::makeAudioSpecificConfig(2, 44100, 2);
  const Bytes notARecord = {0x00, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00};  // version 0
  BOOST_TEST(core::avcCodecString(notARecord) == "");
  BOOST_TEST(core::avcCodecString(Bytes{0x01, 0x64, 0x00}) == "");  // truncated
  BOOST_TEST(core::aacCodecString(Bytes{0x00, 0x00}) == "");        // object type 0
  BOOST_TEST(core::aacCodecString(Bytes{}) == "");
  BOOST_TEST(core::rfc6381Codecs(notARecord, asc) == "");
  BOOST_TEST(core::rfc6381Codecs(avcC, Bytes{0x00, 0x00}) == "");
}
