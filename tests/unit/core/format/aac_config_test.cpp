#include "core/format/aac_config.hpp"

#include <boost/test/unit_test.hpp>
#include <vector>

using Bytes = std::vector<uint8_t>;

BOOST_AUTO_TEST_CASE(lc_48000_stereo) {
  std::string error;
  auto info = core::parseAudioSpecificConfig(Bytes{0x11, 0x90}, &error);
  BOOST_REQUIRE_MESSAGE(info, error);
  BOOST_CHECK_EQUAL(info->objectType, 2);
  BOOST_CHECK_EQUAL(core::aacProfileName(info->objectType), "LC");
  BOOST_CHECK_EQUAL(info->sampleRate, 48000);
  BOOST_CHECK_EQUAL(info->channels, 2);
}

BOOST_AUTO_TEST_CASE(lc_44100_stereo) {
  auto info = core::parseAudioSpecificConfig(Bytes{0x12, 0x10});
  BOOST_REQUIRE(info);
  BOOST_CHECK_EQUAL(info->objectType, 2);
  BOOST_CHECK_EQUAL(info->sampleRate, 44100);
  BOOST_CHECK_EQUAL(info->channels, 2);
}

BOOST_AUTO_TEST_CASE(make_matches_known_bytes) {
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 48000, 2) == (Bytes{0x11, 0x90}));
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 44100, 2) == (Bytes{0x12, 0x10}));
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 44100, 1) == (Bytes{0x12, 0x08}));
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 48000, 8) == (Bytes{0x11, 0xB8}));
}

BOOST_AUTO_TEST_CASE(make_parse_round_trip) {
  for (int type : {1, 2, 4, 23, 39, 42}) {
    for (int rate : {96000, 48000, 44100, 22050, 8000, 7350, 50000, 1}) {
      for (int channels = 1; channels <= 8; ++channels) {
        const Bytes asc = core::makeAudioSpecificConfig(type, rate, channels);
        BOOST_REQUIRE(!asc.empty());
        std::string error;
        auto info = core::parseAudioSpecificConfig(asc, &error);
        BOOST_REQUIRE_MESSAGE(info, error);
        BOOST_CHECK_EQUAL(info->objectType, type);
        BOOST_CHECK_EQUAL(info->sampleRate, rate);
        BOOST_CHECK_EQUAL(info->channels, channels);
      }
    }
  }
  // Escaped object type (31 + 6 bits) and explicit 24-bit frequency.
  const Bytes escaped = core::makeAudioSpecificConfig(42, 50000, 2);
  BOOST_CHECK_EQUAL(escaped[0] >> 3, 31);
  BOOST_CHECK_EQUAL(escaped.size(), 6u);
}

BOOST_AUTO_TEST_CASE(explicit_sbr_and_ps) {
  // HE-AAC: type 5, core 24000 Hz (index 6), stereo, extension 48000 (index 3), core LC.
  // 00101 0110 0010 0011 00010 -> 0x2B 0x11 0x88 (padded)
  auto he = core::parseAudioSpecificConfig(Bytes{0x2B, 0x11, 0x88, 0x00});
  BOOST_REQUIRE(he);
  BOOST_CHECK_EQUAL(he->objectType, 5);
  BOOST_CHECK_EQUAL(core::aacProfileName(he->objectType), "HE-AAC");
  BOOST_CHECK_EQUAL(he->sampleRate, 48000);
  BOOST_CHECK_EQUAL(he->channels, 2);
  // HE-AAC v2: type 29 (11101), 22050 (index 7), mono core, extension 44100 (4), core LC.
  // 11101 0111 0001 0100 00010 -> 0xEB 0x8A 0x08
  auto ps = core::parseAudioSpecificConfig(Bytes{0xEB, 0x8A, 0x08, 0x00});
  BOOST_REQUIRE(ps);
  BOOST_CHECK_EQUAL(ps->objectType, 29);
  BOOST_CHECK_EQUAL(core::aacProfileName(29), "HE-AAC v2");
  BOOST_CHECK_EQUAL(ps->sampleRate, 44100);
  BOOST_CHECK_EQUAL(ps->channels, 2);
  // The extension cut off.
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x2B, 0x11}));
}

BOOST_AUTO_TEST_CASE(malformed_rejected) {
  std::string error;
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{}, &error));
  BOOST_CHECK_MESSAGE(error.find("too short") != std::string::npos, error);
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x12}));
  // Object type 0.
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x02, 0x10}));
  // Reserved sampling frequency index 13: 00010 1101 0010 -> 0x16 0x90
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x16, 0x90}, &error));
  BOOST_CHECK_MESSAGE(error.find("sampling frequency") != std::string::npos, error);
  // Explicit frequency cut short: 00010 1111 + 24 bits needs 5 bytes.
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x17, 0x80, 0x00}));
  // Reserved channel configuration 8: 00010 0100 1000 -> 0x12 0x40
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0x12, 0x40}, &error));
  BOOST_CHECK_MESSAGE(error.find("channel configuration 8") != std::string::npos, error);
  // Escaped object type cut short.
  BOOST_CHECK(!core::parseAudioSpecificConfig(Bytes{0xF8, 0x00}));

  BOOST_CHECK(core::makeAudioSpecificConfig(0, 48000, 2).empty());
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 0, 2).empty());
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 48000, 0).empty());
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 48000, 9).empty());
  BOOST_CHECK(core::makeAudioSpecificConfig(96, 48000, 2).empty());
  BOOST_CHECK(core::makeAudioSpecificConfig(2, 1 << 24, 2).empty());
}

BOOST_AUTO_TEST_CASE(channel_config_zero_means_pce) {
  // 00010 0011 0000 -> 0x11 0x80
  auto info = core::parseAudioSpecificConfig(Bytes{0x11, 0x80});
  BOOST_REQUIRE(info);
  BOOST_CHECK_EQUAL(info->channels, 0);
}
