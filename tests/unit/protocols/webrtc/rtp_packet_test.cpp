#include "protocols/webrtc/rtp_packet.hpp"

#include <array>
#include <boost/test/unit_test.hpp>
#include <random>

#include "core/buffer/byte_io.hpp"

using namespace webrtc;

namespace {

using Bytes = std::vector<uint8_t>;

// Hand-built RTP datagrams (RFC 3550 §5.1), independent of buildRtp.
Bytes fixedHeader(uint8_t b0, uint8_t b1, uint16_t seq = 0x1234, uint32_t ts = 0xA0B0C0D0,
                  uint32_t ssrc = 0x11223344) {
  core::ByteWriter w;
  w.u8(b0);
  w.u8(b1);
  w.u16(seq);
  w.u32(ts);
  w.u32(ssrc);
  return w.take();
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

RtpHeader parseOk(const Bytes& packet) {
  std::string error;
  auto h = parseRtp(packet, error);
  BOOST_TEST_REQUIRE(h.has_value(), error);
  return *h;
}

std::string parseError(const Bytes& packet) {
  std::string error;
  auto h = parseRtp(packet, error);
  BOOST_TEST(!h.has_value());
  return error;
}

Bytes bytesOf(std::span<const uint8_t> s) {
  return Bytes(s.begin(), s.end());
}

}  // namespace

BOOST_AUTO_TEST_CASE(fixed_header_fields) {
  const Bytes packet = cat(fixedHeader(0x80, 0xE0), {1, 2, 3});
  const RtpHeader h = parseOk(packet);
  BOOST_TEST(h.marker);
  BOOST_TEST(h.pt == 96);
  BOOST_TEST(h.seq == 0x1234);
  BOOST_TEST(h.timestamp == 0xA0B0C0D0u);
  BOOST_TEST(h.ssrc == 0x11223344u);
  BOOST_TEST(h.csrcs.empty());
  BOOST_TEST(h.extensionProfile == 0);
  BOOST_TEST(h.headerSize == 12u);
  BOOST_TEST(h.payloadSize == 3u);
  BOOST_TEST(h.padding == 0);
  BOOST_TEST(bytesOf(h.payloadOf(packet)) == Bytes({1, 2, 3}), boost::test_tools::per_element());
  // No marker, PT 111, an empty payload.
  const RtpHeader h2 = parseOk(fixedHeader(0x80, 111));
  BOOST_TEST(!h2.marker);
  BOOST_TEST(h2.pt == 111);
  BOOST_TEST(h2.payloadSize == 0u);
}

BOOST_AUTO_TEST_CASE(csrcs_and_padding) {
  Bytes packet = cat(fixedHeader(0xA2, 0x60), {0, 0, 0, 7, 0, 0, 0, 9, 0xAA, 0xBB, 0, 0, 3});
  const RtpHeader h = parseOk(packet);
  BOOST_TEST(h.csrcs == std::vector<uint32_t>({7, 9}), boost::test_tools::per_element());
  BOOST_TEST(h.headerSize == 20u);
  BOOST_TEST(h.padding == 3);
  BOOST_TEST(h.payloadSize == 2u);
  BOOST_TEST(bytesOf(h.payloadOf(packet)) == Bytes({0xAA, 0xBB}), boost::test_tools::per_element());
  // Padding that is the whole rest of the packet.
  const RtpHeader h2 = parseOk(cat(fixedHeader(0xA0, 0x60), {0, 0, 0, 4}));
  BOOST_TEST(h2.payloadSize == 0u);
  BOOST_TEST(h2.padding == 4);
}

BOOST_AUTO_TEST_CASE(one_byte_extensions) {
  // 0xBEDE, 3 words: id 1 (1 byte), a padding byte, id 2 (3 bytes), id 14 (2 bytes), pad.
  const Bytes ext = {0xBE, 0xDE, 0, 3, 0x10, 0xAA, 0x00, 0x22, 1, 2, 3, 0xE1, 4, 5, 0, 0};
  const Bytes packet = cat(cat(fixedHeader(0x90, 0x60), ext), {9});
  const RtpHeader h = parseOk(packet);
  BOOST_TEST(h.extensionProfile == 0xBEDE);
  BOOST_TEST(h.headerSize == 28u);
  BOOST_TEST(h.payloadSize == 1u);
  BOOST_TEST_REQUIRE(h.extensions.size() == 3u);
  BOOST_TEST(bytesOf(*h.extension(1)) == Bytes({0xAA}), boost::test_tools::per_element());
  BOOST_TEST(bytesOf(*h.extension(2)) == Bytes({1, 2, 3}), boost::test_tools::per_element());
  BOOST_TEST(bytesOf(*h.extension(14)) == Bytes({4, 5}), boost::test_tools::per_element());
  BOOST_TEST(!h.extension(3).has_value());
  // Id 15 ends the block (RFC 8285 §4.2): its length is ignored, later elements too.
  const Bytes ext15 = {0xBE, 0xDE, 0, 2, 0x10, 0xAA, 0xFF, 0x20, 7, 0, 0, 0};
  const Bytes packet15 = cat(fixedHeader(0x90, 0x60), ext15);  // outlives the views
  const RtpHeader h15 = parseOk(packet15);
  BOOST_TEST(h15.extensions.size() == 1u);
  BOOST_TEST(h15.extension(1).has_value());
}

BOOST_AUTO_TEST_CASE(two_byte_extensions) {
  // 0x1000 (any appbits, here 0x1003), 2 words: id 5 empty, a padding byte, id 200 (3 bytes).
  const Bytes ext = {0x10, 0x03, 0, 2, 5, 0, 0, 200, 3, 7, 8, 9};
  const Bytes packet = cat(fixedHeader(0x90, 0x60), ext);  // outlives the views
  const RtpHeader h = parseOk(packet);
  BOOST_TEST(h.extensionProfile == 0x1003);
  BOOST_TEST_REQUIRE(h.extensions.size() == 2u);
  BOOST_TEST(h.extension(5)->empty());
  BOOST_TEST(bytesOf(*h.extension(200)) == Bytes({7, 8, 9}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(other_profile_extension_is_skipped) {
  const Bytes ext = {0x12, 0x34, 0, 1, 0x10, 0xAA, 0xBB, 0xCC};
  const RtpHeader h = parseOk(cat(cat(fixedHeader(0x90, 0x60), ext), {1, 2}));
  BOOST_TEST(h.extensionProfile == 0x1234);
  BOOST_TEST(h.extensions.empty());
  BOOST_TEST(h.headerSize == 20u);
  BOOST_TEST(h.payloadSize == 2u);
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  BOOST_TEST(parseError({0x80, 0x60, 0, 1}).find("fixed header") != std::string::npos);
  BOOST_TEST(parseError(fixedHeader(0x40, 0x60)).find("version 1") != std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0x83, 0x60), {0, 0, 0, 1})).find("3 CSRCs") !=
             std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0x90, 0x60), {0xBE, 0xDE})).find("extension header") !=
             std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0x90, 0x60), {0xBE, 0xDE, 0, 2, 0x10, 1, 0, 0}))
                 .find("extension length 2 words") != std::string::npos);
  // Id 2 says 4 bytes, the block has 2 after it.
  BOOST_TEST(parseError(cat(fixedHeader(0x90, 0x60), {0xBE, 0xDE, 0, 1, 0x10, 1, 0x23, 1}))
                 .find("one-byte extension id 2 at offset 18") != std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0x90, 0x60), {0x10, 0x00, 0, 1, 0, 0, 0, 9}))
                 .find("two-byte extension id 9 at offset 19") != std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0x90, 0x60), {0x10, 0x00, 0, 1, 4, 9, 1, 2}))
                 .find("two-byte extension id 4") != std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0xA0, 0x60), {1, 2, 0})).find("padding count 0") !=
             std::string::npos);
  BOOST_TEST(parseError(cat(fixedHeader(0xA0, 0x60), {1, 2, 4})).find("padding count 4") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(build_then_parse) {
  const Bytes mid = {'0'}, four = {1, 2, 3, 4}, big(20, 0x5A), empty;
  RtpHeader h;
  h.marker = true;
  h.pt = 102;
  h.seq = 65535;
  h.timestamp = 90000;
  h.ssrc = 0xDEADBEEF;
  h.csrcs = {1, 2};
  h.extensions = {{3, mid}, {9, four}};
  const std::vector<core::SharedBuffer> parts = {core::SharedBuffer::copyOf(Bytes{1, 2}),
                                                 core::SharedBuffer::copyOf(Bytes{3})};
  const Bytes oneByte = buildRtp(h, parts);
  // 12 + 8 CSRC + 4 + (2 + 5 -> 8) extension + 3 payload.
  BOOST_TEST(oneByte.size() == 35u);
  const RtpHeader p = parseOk(oneByte);
  BOOST_TEST(p.marker);
  BOOST_TEST(p.pt == 102);
  BOOST_TEST(p.seq == 65535);
  BOOST_TEST(p.timestamp == 90000u);
  BOOST_TEST(p.ssrc == 0xDEADBEEFu);
  BOOST_TEST(p.csrcs == h.csrcs, boost::test_tools::per_element());
  BOOST_TEST(p.extensionProfile == 0xBEDE);
  BOOST_TEST(bytesOf(*p.extension(3)) == mid, boost::test_tools::per_element());
  BOOST_TEST(bytesOf(*p.extension(9)) == four, boost::test_tools::per_element());
  BOOST_TEST(bytesOf(p.payloadOf(oneByte)) == Bytes({1, 2, 3}), boost::test_tools::per_element());

  // A 20-byte element, an empty one and id 20 need the two-byte form; padding 5.
  h.extensions = {{20, big}, {4, empty}};
  h.padding = 5;
  h.marker = false;
  const Bytes twoByte = buildRtp(h, parts);
  const RtpHeader q = parseOk(twoByte);
  BOOST_TEST((q.extensionProfile & 0xFFF0) == 0x1000);
  BOOST_TEST(!q.marker);
  BOOST_TEST(bytesOf(*q.extension(20)) == big, boost::test_tools::per_element());
  BOOST_TEST(q.extension(4)->empty());
  BOOST_TEST(q.padding == 5);
  BOOST_TEST(bytesOf(q.payloadOf(twoByte)) == Bytes({1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fuzz_truncations_and_random_bytes) {
  RtpHeader h;
  h.pt = 96;
  h.csrcs = {5};
  const Bytes data(7, 1);
  h.extensions = {{1, data}, {2, data}};
  h.padding = 3;
  const Bytes valid =
      buildRtp(h, std::vector<core::SharedBuffer>{core::SharedBuffer::copyOf(data)});
  std::string error;
  for (size_t n = 0; n <= valid.size(); ++n) {
    auto p = parseRtp(std::span(valid).first(n), error);
    if (p) BOOST_TEST(p->headerSize + p->payloadSize + p->padding == n);
  }
  std::mt19937 rng(17);
  size_t parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes bytes(rng() % 64);
    for (auto& b : bytes) b = static_cast<uint8_t>(rng());
    if (!bytes.empty()) bytes[0] = static_cast<uint8_t>(0x80 | (bytes[0] & 0x3F));
    if (i % 2 == 0) {  // a valid packet with a few bytes flipped
      bytes = valid;
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    }
    auto p = parseRtp(bytes, error);
    if (!p) continue;
    ++parsed;
    BOOST_TEST_REQUIRE(p->headerSize + p->payloadSize + p->padding == bytes.size());
    for (const auto& e : p->extensions) {
      BOOST_TEST_REQUIRE(e.data.data() >= bytes.data());
      BOOST_TEST_REQUIRE(e.data.data() + e.data.size() <= bytes.data() + p->headerSize);
    }
  }
  BOOST_TEST(parsed > 1000u);
}

BOOST_AUTO_TEST_CASE(the_fixed_header_alone_is_what_build_rtp_writes) {
  RtpHeader h;
  h.marker = true;
  h.pt = 0xE1;  // the top bit is not the payload type's
  h.seq = 0xBEEF;
  h.timestamp = 0x89ABCDEF;
  h.ssrc = 0x01234567;
  const Bytes built = buildRtp(h, {});
  std::array<uint8_t, kRtpFixedHeaderBytes> out{};
  writeFixedRtpHeader(h, out);
  BOOST_TEST(built.size() == kRtpFixedHeaderBytes);
  BOOST_TEST((Bytes(out.begin(), out.end()) == built));
  const RtpHeader back = parseOk(Bytes(out.begin(), out.end()));
  BOOST_TEST(back.marker);
  BOOST_TEST(back.pt == 0x61);
  BOOST_TEST(back.seq == 0xBEEF);
  BOOST_TEST(back.timestamp == 0x89ABCDEFu);
  BOOST_TEST(back.ssrc == 0x01234567u);
}
