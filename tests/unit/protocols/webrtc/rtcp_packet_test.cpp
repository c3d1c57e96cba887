#include "protocols/webrtc/rtcp_packet.hpp"

#include <boost/test/unit_test.hpp>
#include <random>

#include "core/buffer/byte_io.hpp"

using namespace webrtc;

namespace {

using Bytes = std::vector<uint8_t>;
using Pairs = std::vector<std::pair<uint16_t, uint16_t>>;

// Hand-built RTCP packets from the RFC layouts, independent of the builders.
struct Rtcp {
  core::ByteWriter w;
  size_t start = 0;

  Rtcp& header(uint8_t count, uint8_t type, uint16_t words, bool padding = false) {
    start = w.size();
    w.u8(static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | count));
    w.u8(type);
    w.u16(words);
    return *this;
  }
  Rtcp& u32(uint32_t v) {
    w.u32(v);
    return *this;
  }
  Rtcp& block(uint32_t ssrc, uint8_t fraction, uint32_t lost24, uint32_t highest) {
    w.u32(ssrc);
    w.u8(fraction);
    w.u24(lost24);
    w.u32(highest);
    w.u32(77);    // jitter
    w.u32(1000);  // lsr
    w.u32(2000);  // dlsr
    return *this;
  }
  Rtcp& bytes(const Bytes& b) {
    w.bytes(b);
    return *this;
  }
  Bytes take() { return w.take(); }
};

RtcpCompound parseOk(const Bytes& datagram) {
  std::string error;
  auto c = parseRtcp(datagram, error);
  BOOST_TEST_REQUIRE(c.has_value(), error);
  return *c;
}

std::string parseError(const Bytes& datagram) {
  std::string error;
  auto c = parseRtcp(datagram, error);
  BOOST_TEST(!c.has_value());
  return error;
}

bool contains(const std::string& s, const std::string& part) {
  const bool found = s.find(part) != std::string::npos;
  if (!found) BOOST_TEST_MESSAGE("'" << s << "' lacks '" << part << "'");
  return found;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

// RFC 3550 §6.4.1 SR with one report block, SDES, then BYE with two SSRCs.
BOOST_AUTO_TEST_CASE(compound_sr_sdes_bye_by_hand) {
  Rtcp r;
  r.header(1, 200, 12).u32(0xAAAA0001).u32(0xE1234567).u32(0x89ABCDEF).u32(90000).u32(10).u32(1234);
  r.block(0xBBBB0002, 25, 0xFFFFFB /* -5 */, 0x0001FFFF);
  r.header(1, 202, 3).u32(0xAAAA0001).bytes({1, 3, 'a', 'b', 'c', 0, 0, 0});
  r.header(2, 203, 2).u32(0xAAAA0001).u32(0xAAAA0003);
  const RtcpCompound c = parseOk(r.take());
  BOOST_TEST_REQUIRE(c.srs.size() == 1u);
  BOOST_TEST(c.srs[0].ssrc == 0xAAAA0001u);
  BOOST_TEST(c.srs[0].ntp == 0xE123456789ABCDEFull);
  BOOST_TEST(c.srs[0].rtpTimestamp == 90000u);
  BOOST_TEST(c.srs[0].packets == 10u);
  BOOST_TEST(c.srs[0].octets == 1234u);
  BOOST_TEST_REQUIRE(c.reports.size() == 1u);
  BOOST_TEST(c.reports[0].ssrc == 0xBBBB0002u);
  BOOST_TEST(c.reports[0].reporterSsrc == 0xAAAA0001u);
  BOOST_TEST(c.reports[0].fractionLost == 25);
  BOOST_TEST(c.reports[0].cumulativeLost == -5);
  BOOST_TEST(c.reports[0].highestSeq == 0x0001FFFFu);
  BOOST_TEST(c.reports[0].jitter == 77u);
  BOOST_TEST(c.reports[0].lsr == 1000u);
  BOOST_TEST(c.reports[0].dlsr == 2000u);
  BOOST_TEST(c.sdesChunks == 1u);
  BOOST_TEST(c.byes == std::vector<uint32_t>({0xAAAA0001, 0xAAAA0003}),
             boost::test_tools::per_element());
}

// What Chromium sends a sender (compound, RFC 4585 §3.1): RR without blocks, SDES CNAME,
// then RTPFB generic NACK, PSFB PLI and REMB; and rtcp-rsize feedback alone (RFC 5506).
BOOST_AUTO_TEST_CASE(feedback_by_hand) {
  Rtcp r;
  r.header(0, 201, 1).u32(1);
  r.header(1, 202, 6).u32(1).bytes({1, 16}).bytes(Bytes(16, 'x')).bytes({0, 0});
  // NACK: PID 100 with BLP bits 0 and 15 -> 100, 101, 116; PID 65535 with bit 0 -> 0.
  r.header(1, 205, 4).u32(1).u32(0x5000).u32(100u << 16 | 0x8001).u32(0xFFFFu << 16 | 1);
  r.header(1, 206, 2).u32(1).u32(0x5000);
  // REMB: 'REMB', 1 SSRC, exponent 3, mantissa 150000 -> 1.2 Mbit/s.
  r.header(15, 206, 5)
      .u32(1)
      .u32(0)
      .bytes({'R', 'E', 'M', 'B', 1})
      .bytes({static_cast<uint8_t>(3 << 2 | (150000 >> 16)), static_cast<uint8_t>(150000 >> 8),
              static_cast<uint8_t>(150000)});
  r.u32(0x5000);
  const RtcpCompound c = parseOk(r.take());
  BOOST_TEST(c.srs.empty());
  BOOST_TEST(c.reports.empty());
  BOOST_TEST(c.sdesChunks == 1u);
  BOOST_TEST_REQUIRE(c.nacks.size() == 1u);
  BOOST_TEST(c.nacks[0].senderSsrc == 1u);
  BOOST_TEST(c.nacks[0].mediaSsrc == 0x5000u);
  BOOST_TEST(c.nacks[0].lost == std::vector<uint16_t>({100, 101, 116, 65535, 0}),
             boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(c.plis.size() == 1u);
  BOOST_TEST(c.plis[0].mediaSsrc == 0x5000u);
  BOOST_TEST_REQUIRE(c.rembs.size() == 1u);
  BOOST_TEST(c.rembs[0].bitrate == 1200000u);
  BOOST_TEST(c.rembs[0].ssrcs == std::vector<uint32_t>({0x5000}), boost::test_tools::per_element());

  // Reduced size: one PLI alone, one FIR alone (RFC 5104 §4.3.1: two FCI entries).
  Rtcp pli;
  pli.header(1, 206, 2).u32(9).u32(0x5000);
  BOOST_TEST(parseOk(pli.take()).plis.size() == 1u);
  Rtcp fir;
  fir.header(4, 206, 6).u32(9).u32(0).u32(0x5000).u32(7u << 24).u32(0x6000).u32(8u << 24);
  const RtcpCompound f = parseOk(fir.take());
  BOOST_TEST_REQUIRE(f.firs.size() == 2u);
  BOOST_TEST(f.firs[0].mediaSsrc == 0x5000u);
  BOOST_TEST(f.firs[0].seq == 7);
  BOOST_TEST(f.firs[1].mediaSsrc == 0x6000u);
  BOOST_TEST(f.firs[1].seq == 8);
  // transport-cc, APP and XR are counted, not read.
  Rtcp other;
  other.header(15, 205, 3).u32(1).u32(2).u32(0);
  other.header(0, 204, 2).u32(1).u32(0x41424344);
  other.header(0, 207, 1).u32(1);
  const RtcpCompound o = parseOk(other.take());
  BOOST_TEST(o.transportCc == 1u);
  BOOST_TEST(o.unknown == 2u);
}

BOOST_AUTO_TEST_CASE(padding_on_the_last_packet) {
  Rtcp r;
  r.header(0, 201, 1).u32(1);
  r.header(1, 206, 3, true).u32(1).u32(2).bytes({0, 0, 0, 4});
  const RtcpCompound c = parseOk(r.take());
  BOOST_TEST(c.plis.size() == 1u);
}

BOOST_AUTO_TEST_CASE(errors_name_packet_and_field) {
  BOOST_TEST(contains(parseError({}), "empty"));
  BOOST_TEST(contains(parseError({0x80, 201}), "packet 0 at offset 0: 2 bytes left"));
  BOOST_TEST(contains(parseError({0x40, 201, 0, 1, 0, 0, 0, 1}), "version 1"));
  BOOST_TEST(contains(parseError({0x80, 96, 0, 1, 0, 0, 0, 1}), "type 96) at offset 0: not an"));
  // The second packet's length word runs past the datagram.
  BOOST_TEST(contains(parseError({0x80, 201, 0, 1, 0, 0, 0, 1, 0x81, 206, 0, 5, 0, 0, 0, 1}),
                      "packet 1 (type 206) at offset 8: length word says 24 bytes, 8 left"));
  BOOST_TEST(contains(parseError({0xA0, 201, 0, 1, 0, 0, 0, 9}), "padding count 9"));
  BOOST_TEST(contains(parseError({0xA0, 201, 0, 1, 0, 0, 0, 0}), "padding count 0"));
  // RC 2 in an RR whose length holds one block.
  Rtcp rr;
  rr.header(2, 201, 7).u32(1).block(2, 0, 0, 0);
  BOOST_TEST(contains(parseError(rr.take()), "2 report blocks need 52 bytes, the length gives 28"));
  Rtcp sr;
  sr.header(0, 200, 1).u32(1);
  BOOST_TEST(contains(parseError(sr.take()), "0 report blocks need 24 bytes"));
  BOOST_TEST(contains(parseError({0x83, 203, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2}), "3 SSRCs"));
  BOOST_TEST(contains(parseError({0x81, 205, 0, 1, 0, 0, 0, 1}), "feedback needs 8 bytes"));
  Rtcp remb;
  remb.header(15, 206, 4).u32(1).u32(0).bytes({'R', 'E', 'M', 'B', 2, 0, 0, 1});
  BOOST_TEST(contains(parseError(remb.take()), "REMB lists 2 SSRCs in 0 bytes"));
}

BOOST_AUTO_TEST_CASE(nack_compression) {
  auto pairs = [](std::vector<uint16_t> lost) { return rtcpNackPairs(lost); };
  BOOST_TEST(pairs({}).empty());
  BOOST_TEST((pairs({7}) == Pairs{{7, 0}}));
  BOOST_TEST((pairs({1, 2, 3}) == Pairs{{1, 0b11}}));
  BOOST_TEST((pairs({0, 16}) == Pairs{{0, 0x8000}}));
  BOOST_TEST((pairs({0, 17}) == Pairs{{0, 0}, {17, 0}}));
  BOOST_TEST((pairs({10, 10, 11}) == Pairs{{10, 1}}));  // duplicates once
  // Wrap-around: 65534, 65535, 0, 1 is one PID with three BLP bits.
  BOOST_TEST((pairs({65534, 65535, 0, 1}) == Pairs{{65534, 0b111}}));
  BOOST_TEST((pairs({65535, 15}) == Pairs{{65535, 0x8000}}));
  BOOST_TEST((pairs({65535, 16}) == Pairs{{65535, 0}, {16, 0}}));
  // Every sequence number of a long run, across the wrap, comes back from the parser.
  std::vector<uint16_t> lost;
  for (uint32_t s = 65500; s < 65500 + 100; s += (s % 3 == 0 ? 1 : 2)) lost.push_back(uint16_t(s));
  const Bytes packet = buildNack({11, 22, lost});
  const RtcpCompound c = parseOk(packet);
  BOOST_TEST_REQUIRE(c.nacks.size() == 1u);
  BOOST_TEST(c.nacks[0].senderSsrc == 11u);
  BOOST_TEST(c.nacks[0].mediaSsrc == 22u);
  BOOST_TEST(c.nacks[0].lost == lost, boost::test_tools::per_element());
  BOOST_TEST(packet.size() == 12 + 4 * rtcpNackPairs(lost).size());
  // The pair cap bounds the packet.
  std::vector<uint16_t> spread;
  for (uint32_t i = 0; i < 1000; ++i) spread.push_back(uint16_t(i * 20));
  BOOST_TEST(rtcpNackPairs(spread).size() == kRtcpMaxNackPairs);
  BOOST_TEST(buildNack({1, 2, {}}).empty());
}

BOOST_AUTO_TEST_CASE(builders_round_trip) {
  std::vector<RtcpReportBlock> blocks;
  for (uint32_t i = 0; i < 40; ++i) {
    blocks.push_back({100 + i, uint8_t(i), int32_t(i) - 20, 70000 + i, i * 3, i * 5, i * 7, 0});
  }
  const RtcpSenderReport sr{0xABCD, 0x0102030405060708ull, 4242, 99, 123456};
  Bytes compound = buildSenderReport(sr, std::span(blocks).first(2));
  BOOST_TEST(compound.size() == 28u + 48u);
  compound = cat(compound, buildSdesCname(0xABCD, "roomcast-cname"));
  compound = cat(compound, buildReceiverReport(0xABCD, blocks));  // 40 blocks: two RRs
  compound = cat(compound, buildPli({0xABCD, 0x77}));
  compound = cat(compound, buildFir({0xABCD, 0x78, 200}));
  compound = cat(compound, buildRemb({0xABCD, 2500000, {0x77, 0x78}}));
  compound = cat(compound, buildNack({0xABCD, 0x77, {5, 6, 9}}));
  const RtcpCompound c = parseOk(compound);
  BOOST_TEST_REQUIRE(c.srs.size() == 1u);
  BOOST_TEST(c.srs[0].ssrc == sr.ssrc);
  BOOST_TEST(c.srs[0].ntp == sr.ntp);
  BOOST_TEST(c.srs[0].rtpTimestamp == sr.rtpTimestamp);
  BOOST_TEST(c.srs[0].packets == sr.packets);
  BOOST_TEST(c.srs[0].octets == sr.octets);
  BOOST_TEST_REQUIRE(c.reports.size() == 42u);
  for (size_t i = 0; i < 42; ++i) {
    const auto& want = blocks[i < 2 ? i : i - 2];
    const auto& got = c.reports[i];
    BOOST_TEST(got.ssrc == want.ssrc);
    BOOST_TEST(got.fractionLost == want.fractionLost);
    BOOST_TEST(got.cumulativeLost == want.cumulativeLost);
    BOOST_TEST(got.highestSeq == want.highestSeq);
    BOOST_TEST(got.jitter == want.jitter);
    BOOST_TEST(got.lsr == want.lsr);
    BOOST_TEST(got.dlsr == want.dlsr);
    BOOST_TEST(got.reporterSsrc == 0xABCDu);
  }
  BOOST_TEST(c.sdesChunks == 1u);
  BOOST_TEST_REQUIRE(c.plis.size() == 1u);
  BOOST_TEST(c.plis[0].mediaSsrc == 0x77u);
  BOOST_TEST_REQUIRE(c.firs.size() == 1u);
  BOOST_TEST(c.firs[0].mediaSsrc == 0x78u);
  BOOST_TEST(c.firs[0].seq == 200);
  BOOST_TEST_REQUIRE(c.rembs.size() == 1u);
  // 2 500 000 needs exponent 4: mantissa 156250 (exact).
  BOOST_TEST(c.rembs[0].bitrate == 2500000u);
  BOOST_TEST(c.rembs[0].ssrcs.size() == 2u);
  BOOST_TEST_REQUIRE(c.nacks.size() == 1u);
  BOOST_TEST(c.nacks[0].lost == std::vector<uint16_t>({5, 6, 9}), boost::test_tools::per_element());
  // An RR without blocks is 8 bytes; an over-long CNAME is cut at 255 bytes.
  BOOST_TEST(buildReceiverReport(1, {}).size() == 8u);
  const Bytes sdes = buildSdesCname(1, std::string(300, 'c'));
  BOOST_TEST(sdes.size() % 4 == 0u);
  BOOST_TEST(sdes[9] == 255);
  BOOST_TEST(parseOk(sdes).sdesChunks == 1u);
  // The extreme cumulative-lost values survive the 24-bit field.
  const RtcpReportBlock extreme{1, 0, -8388608, 0, 0, 0, 0, 0};
  BOOST_TEST(parseOk(buildReceiverReport(1, std::span(&extreme, 1))).reports[0].cumulativeLost ==
             -8388608);
}

BOOST_AUTO_TEST_CASE(ntp_time) {
  // 1970-01-01 is NTP second 2208988800; half a second is fraction 2^31.
  BOOST_TEST(rtcpNtpFromUnixMicros(0) == 2208988800ull << 32);
  BOOST_TEST(rtcpNtpFromUnixMicros(1500000) == ((2208988801ull << 32) | 0x80000000ull));
  // 2026-12-07T00:00:00Z = 1796601600 s: still NTP era 0 (it ends in 2036).
  const uint64_t ntp = rtcpNtpFromUnixMicros(1796601600ll * 1000000 + 250000);
  BOOST_TEST((ntp >> 32) == 1796601600ull + 2208988800ull);
  BOOST_TEST((ntp & 0xFFFFFFFF) == 0x40000000u);
  BOOST_TEST(rtcpCompactNtp(ntp) == uint32_t((ntp >> 16) & 0xFFFFFFFF));
  BOOST_TEST(rtcpCompactNtp(0x0001000200030004ull) == 0x00020003u);
}

BOOST_AUTO_TEST_CASE(items_are_capped) {
  Bytes many;
  for (int i = 0; i < 2000; ++i) many = cat(many, buildPli({1, uint32_t(i)}));
  const RtcpCompound c = parseOk(many);
  BOOST_TEST(c.plis.size() == kRtcpMaxItems);
  BOOST_TEST(c.capped == 2000 - kRtcpMaxItems);
  // One NACK of 400 full pairs would expand to 6800 sequence numbers.
  Rtcp r;
  r.header(1, 205, 2 + 400).u32(1).u32(2);
  for (int i = 0; i < 400; ++i) r.u32(uint32_t(i * 17) << 16 | 0xFFFF);
  const RtcpCompound n = parseOk(r.take());
  BOOST_TEST(n.nacks[0].lost.size() == kRtcpMaxItems);
  BOOST_TEST(n.capped == 6800 - kRtcpMaxItems);
}

BOOST_AUTO_TEST_CASE(fuzz_truncations_mutations_random) {
  Bytes valid = buildSenderReport({1, 2, 3, 4, 5}, std::vector<RtcpReportBlock>(3));
  valid = cat(valid, buildSdesCname(1, "cname"));
  valid = cat(valid, buildNack({1, 2, {1, 5, 40}}));
  valid = cat(valid, buildRemb({1, 1000000, {2}}));
  valid = cat(valid, buildFir({1, 2, 3}));
  std::string error;
  for (size_t n = 0; n <= valid.size(); ++n) parseRtcp(std::span(valid).first(n), error);
  std::mt19937 rng(4585);
  size_t parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    Bytes bytes;
    if (i % 2 == 0) {
      bytes = valid;
      for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
    } else {
      bytes.resize(rng() % 96);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      if (!bytes.empty()) bytes[0] = static_cast<uint8_t>(0x80 | (bytes[0] & 0x3F));
      if (bytes.size() > 1) bytes[1] = static_cast<uint8_t>(200 + rng() % 8);
    }
    if (auto c = parseRtcp(bytes, error)) {
      ++parsed;
      for (const auto& nack : c->nacks) BOOST_TEST_REQUIRE(nack.lost.size() <= kRtcpMaxItems);
    } else {
      BOOST_TEST_REQUIRE(error.rfind("rtcp: ", 0) == 0u);
    }
  }
  BOOST_TEST(parsed > 100u);
}

// draft-alvestrand-rmcat-remb §2.2: PSFB (206) FMT 15, packet sender SSRC, media source
// SSRC 0, "REMB", Num SSRC (8 bits), BR Exp (6 bits) + BR Mantissa (18 bits), then the
// SSRCs; the bitrate is mantissa * 2^exp bit/s.
BOOST_AUTO_TEST_CASE(remb_bytes_follow_the_draft) {
  const Bytes remb = buildRemb({0x01020304, 1200000, {0xA1A2A3A4, 0xB1B2B3B4}});
  // 1 200 000 = 150 000 << 3: exponent 3, mantissa 150000 (0x249F0).
  // clang-format off
  const Bytes want = {
      0x8F, 206, 0x00, 0x06,                          // V=2 FMT=15, PSFB, 7 words - 1
      0x01, 0x02, 0x03, 0x04,                         // packet sender SSRC
      0x00, 0x00, 0x00, 0x00,                         // media source SSRC: 0
      'R', 'E', 'M', 'B',
      2, static_cast<uint8_t>(3 << 2 | 0x02), 0x49, 0xF0,  // Num SSRC, exp 3 | mantissa
      0xA1, 0xA2, 0xA3, 0xA4, 0xB1, 0xB2, 0xB3, 0xB4};
  // clang-format on
  BOOST_TEST(remb == want, boost::test_tools::per_element());

  // Mantissa/exponent edges: exact up to 18 bits, then rounded down, never up.
  const auto expMantissa = [](const Bytes& b) {
    return std::pair<int, uint32_t>(b[17] >> 2, uint32_t(b[17] & 3) << 16 | b[18] << 8 | b[19]);
  };
  const auto roundTrip = [](uint64_t bps) {
    return parseOk(buildRemb({1, bps, {2}})).rembs.at(0).bitrate;
  };
  BOOST_TEST((expMantissa(buildRemb({1, 0, {}})) == std::pair<int, uint32_t>(0, 0)));
  BOOST_TEST((expMantissa(buildRemb({1, 0x3FFFF, {}})) == std::pair<int, uint32_t>(0, 0x3FFFF)));
  BOOST_TEST((expMantissa(buildRemb({1, 0x40000, {}})) == std::pair<int, uint32_t>(1, 0x20000)));
  BOOST_TEST((expMantissa(buildRemb({1, 0x7FFFF, {}})) == std::pair<int, uint32_t>(1, 0x3FFFF)));
  BOOST_TEST(roundTrip(0) == 0u);
  BOOST_TEST(roundTrip(0x3FFFF) == 0x3FFFFu);
  BOOST_TEST(roundTrip(0x7FFFF) == 0x7FFFEu);  // the odd bit is lost
  BOOST_TEST(roundTrip(6000000) == 6000000u);  // 187500 << 5
  BOOST_TEST(roundTrip(6000001) == 6000000u);
  // The largest: 2^64 - 1 needs exponent 46 (6 bits hold up to 63).
  const Bytes top = buildRemb({1, ~uint64_t{0}, {}});
  BOOST_TEST((expMantissa(top) == std::pair<int, uint32_t>(46, 0x3FFFF)));
  BOOST_TEST(parseOk(top).rembs.at(0).bitrate == uint64_t{0x3FFFF} << 46);
  // No SSRC: 16 + 4 bytes; more than 255 SSRCs: the first 255 (Num SSRC is 8 bits).
  BOOST_TEST(buildRemb({1, 1000, {}}).size() == 20u);
  std::vector<uint32_t> many(300);
  for (uint32_t i = 0; i < many.size(); ++i) many[i] = i + 1;
  const RtcpCompound c = parseOk(buildRemb({1, 1000, many}));
  BOOST_TEST_REQUIRE(c.rembs.size() == 1u);
  BOOST_TEST(c.rembs[0].ssrcs.size() == 255u);
  BOOST_TEST(c.rembs[0].ssrcs.back() == 255u);
  BOOST_TEST(c.rembs[0].senderSsrc == 1u);
}
