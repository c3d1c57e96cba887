#include "protocols/webrtc/dcep_message.hpp"

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <random>

using namespace webrtc;

namespace webrtc {
std::ostream& operator<<(std::ostream& os, DcepChannelType t) {
  return os << "0x" << std::hex << int(t) << std::dec;
}
}  // namespace webrtc

namespace {

using Bytes = std::vector<uint8_t>;

// DATA_CHANNEL_OPEN laid out by hand from RFC 8832 §5.1 (independent of buildDcepOpen).
Bytes handOpen(uint8_t channelType, uint16_t priority, uint32_t reliability,
               const std::string& label, const std::string& protocol) {
  Bytes b = {0x03,
             channelType,
             uint8_t(priority >> 8),
             uint8_t(priority),
             uint8_t(reliability >> 24),
             uint8_t(reliability >> 16),
             uint8_t(reliability >> 8),
             uint8_t(reliability),
             uint8_t(label.size() >> 8),
             uint8_t(label.size()),
             uint8_t(protocol.size() >> 8),
             uint8_t(protocol.size())};
  b.insert(b.end(), label.begin(), label.end());
  b.insert(b.end(), protocol.begin(), protocol.end());
  return b;
}

std::optional<DcepMessage> parse(const Bytes& b, std::string& error) {
  error.clear();
  return parseDcep(b, error);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dcep_message)

BOOST_AUTO_TEST_CASE(parses_a_hand_built_open) {
  std::string error;
  auto m = parse(handOpen(0x00, 256, 0, "room", ""), error);
  BOOST_REQUIRE_MESSAGE(m, error);
  BOOST_TEST(m->type == kDcepTypeOpen);
  BOOST_TEST(static_cast<int>(m->open.channelType) == 0x00);
  BOOST_TEST(m->open.priority == 256);
  BOOST_TEST(m->open.reliabilityParameter == 0u);
  BOOST_TEST(m->open.label == "room");
  BOOST_TEST(m->open.protocol.empty());

  m = parse(handOpen(0x81, 512, 3, "lossy", "json"), error);
  BOOST_REQUIRE_MESSAGE(m, error);
  BOOST_TEST(m->open.channelType == DcepChannelType::PartialReliableRexmitUnordered);
  BOOST_TEST(dcepUnordered(m->open.channelType));
  BOOST_TEST(m->open.priority == 512);
  BOOST_TEST(m->open.reliabilityParameter == 3u);
  BOOST_TEST(m->open.protocol == "json");
}

BOOST_AUTO_TEST_CASE(builds_what_the_rfc_lays_out_for_every_channel_type) {
  const DcepChannelType types[] = {
      DcepChannelType::Reliable,
      DcepChannelType::ReliableUnordered,
      DcepChannelType::PartialReliableRexmit,
      DcepChannelType::PartialReliableRexmitUnordered,
      DcepChannelType::PartialReliableTimed,
      DcepChannelType::PartialReliableTimedUnordered,
  };
  for (auto type : types) {
    DcepOpen open{type, 128, 1500, "chat \xE2\x9C\x93 \xF0\x9F\x98\x80", "v1"};  // ✓ 😀
    Bytes built = buildDcepOpen(open);
    BOOST_TEST(built == handOpen(uint8_t(type), 128, 1500, open.label, open.protocol),
               boost::test_tools::per_element());
    std::string error;
    auto m = parse(built, error);
    BOOST_REQUIRE_MESSAGE(m, error);
    BOOST_TEST(m->open.channelType == type);
    BOOST_TEST(m->open.label == open.label);
    BOOST_TEST(m->open.protocol == open.protocol);
    BOOST_TEST(m->open.reliabilityParameter == 1500u);
  }
}

BOOST_AUTO_TEST_CASE(ack_is_one_byte) {
  BOOST_TEST(buildDcepAck() == Bytes{0x02}, boost::test_tools::per_element());
  std::string error;
  auto m = parse({0x02}, error);
  BOOST_REQUIRE_MESSAGE(m, error);
  BOOST_TEST(m->type == kDcepTypeAck);
}

BOOST_AUTO_TEST_CASE(empty_label_and_trailing_padding_are_accepted) {
  std::string error;
  auto m = parse(handOpen(0x00, 256, 0, "", ""), error);
  BOOST_REQUIRE_MESSAGE(m, error);
  BOOST_TEST(m->open.label.empty());
  Bytes padded = handOpen(0x00, 256, 0, "abc", "");
  padded.push_back(0);  // padding to 4 bytes, as early drafts wrote it
  m = parse(padded, error);
  BOOST_REQUIRE_MESSAGE(m, error);
  BOOST_TEST(m->open.label == "abc");
}

BOOST_AUTO_TEST_CASE(errors_name_the_field_and_offset) {
  std::string error;
  BOOST_TEST(!parse({}, error));
  BOOST_TEST(error.find("empty") != std::string::npos);

  BOOST_TEST(!parse({0x05, 0x00}, error));
  BOOST_TEST(error == "dcep: unknown message type 0x05 at offset 0");

  BOOST_TEST(!parse({0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0}, error));
  BOOST_TEST(error == "dcep open: 11 bytes, the fixed part needs 12");

  BOOST_TEST(!parse(handOpen(0x03, 256, 0, "x", ""), error));
  BOOST_TEST(error == "dcep open: unknown channel type 0x03 at offset 1");

  Bytes longLabel = handOpen(0x00, 256, 0, "room", "");
  longLabel[9] = 12;  // label length 12, only 4 bytes follow
  BOOST_TEST(!parse(longLabel, error));
  BOOST_TEST(error == "dcep open: label (12 bytes at offset 12) runs past the end (16 bytes)");

  Bytes longProtocol = handOpen(0x00, 256, 0, "room", "js");
  longProtocol[11] = 3;
  BOOST_TEST(!parse(longProtocol, error));
  BOOST_TEST(error == "dcep open: protocol (3 bytes at offset 16) runs past the end (18 bytes)");
}

BOOST_AUTO_TEST_CASE(label_and_protocol_must_be_utf8) {
  const std::pair<std::string, size_t> bad[] = {
      {"ok\xFF", 2},           // never a UTF-8 byte
      {"\xC0\x80", 0},         // overlong NUL
      {"a\xED\xA0\x80", 1},    // UTF-16 surrogate
      {"ab\xE2\x82", 2},       // truncated sequence
      {"\xF4\x90\x80\x80", 0}  // above U+10FFFF
  };
  for (const auto& [label, at] : bad) {
    std::string error;
    BOOST_TEST(!parse(handOpen(0x00, 256, 0, label, ""), error));
    BOOST_TEST(error.find("label is not UTF-8") != std::string::npos, error);
    BOOST_TEST(error.find("offset " + std::to_string(12 + at) + ")") != std::string::npos, error);
  }
  std::string error;
  BOOST_TEST(!parse(handOpen(0x00, 256, 0, "room", "\x80"), error));
  BOOST_TEST(error.find("protocol is not UTF-8") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(build_refuses_fields_over_65535_bytes) {
  DcepOpen open;
  open.label.assign(65536, 'a');
  BOOST_TEST(buildDcepOpen(open).empty());
  open.label.assign(65535, 'a');
  BOOST_TEST(buildDcepOpen(open).size() == 12u + 65535u);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_an_error) {
  Bytes full = handOpen(0x82, 256, 250, "r\xC3\xA9union", "proto");
  for (size_t n = 0; n < full.size(); ++n) {
    Bytes prefix(full.begin(), full.begin() + n);
    std::string error;
    BOOST_TEST(!parse(prefix, error), "prefix of " << n << " bytes parsed");
    BOOST_TEST(!error.empty());
  }
  std::string error;
  BOOST_TEST(parse(full, error).has_value());
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash_and_what_parses_rebuilds_the_same) {
  std::mt19937 rng(8832);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 40);
  size_t parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes b(length(rng));
    for (auto& x : b) x = uint8_t(byte(rng));
    // Steer half of them into the OPEN parser with small lengths that can fit.
    if (b.size() >= 12 && i % 2 == 0) {
      b[0] = 0x03;
      b[1] = uint8_t(i % 3 == 0 ? 0x80 : 0x01);
      b[8] = 0, b[9] = uint8_t(b[9] % 16), b[10] = 0, b[11] = uint8_t(b[11] % 16);
    }
    std::string error;
    auto m = parseDcep(b, error);
    if (!m) {
      BOOST_TEST(!error.empty());
      continue;
    }
    ++parsed;
    if (m->type == kDcepTypeOpen) {
      Bytes rebuilt = buildDcepOpen(m->open);
      BOOST_REQUIRE(rebuilt.size() <= b.size());
      BOOST_TEST(std::equal(rebuilt.begin(), rebuilt.end(), b.begin()));
    }
  }
  BOOST_TEST(parsed > 100u);  // the property was exercised
}

BOOST_AUTO_TEST_SUITE_END()
