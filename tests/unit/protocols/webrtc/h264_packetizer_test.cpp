#include "protocols/webrtc/h264_packetizer.hpp"

#include <boost/test/unit_test.hpp>

#include "core/format/avc_config.hpp"
#include "tests/unit/media_samples.hpp"

using namespace webrtc;

namespace {

using Bytes = std::vector<uint8_t>;

// A NAL unit: header byte (NRI 3 unless given) and `size - 1` counting bytes.
Bytes nal(uint8_t type, size_t size, uint8_t nri = 3) {
  Bytes n(size);
  n[0] = static_cast<uint8_t>(nri << 5 | type);
  for (size_t i = 1; i < size; ++i) n[i] = static_cast<uint8_t>(i * 7 + type);
  return n;
}

core::MediaPacket accessUnit(const std::vector<Bytes>& nals, bool keyframe = false) {
  Bytes avcc;
  for (const auto& n : nals) {
    for (int s = 24; s >= 0; s -= 8) avcc.push_back(static_cast<uint8_t>(n.size() >> s));
    avcc.insert(avcc.end(), n.begin(), n.end());
  }
  core::MediaPacket p;
  p.kind = core::MediaKind::Video;
  p.codec = core::Codec::H264;
  p.keyframe = keyframe;
  p.payload = core::SharedBuffer::adopt(std::move(avcc));
  return p;
}

Bytes flatten(const RtpPayload& p) {
  Bytes out;
  for (const auto& part : p.parts) out.insert(out.end(), part.data(), part.data() + part.size());
  return out;
}

bool inside(const core::SharedBuffer& part, const core::SharedBuffer& whole) {
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

std::vector<RtpPayload> packetize(const core::MediaPacket& au, size_t maxPayload,
                                  std::span<const uint8_t> config = media_samples::kAvcConfig) {
  std::string error;
  auto out = packetizeH264(au, config, maxPayload, &error);
  BOOST_TEST(error.empty(), error);
  return out;
}

// Checks an FU-A run for `n` (RFC 6184 §5.8) and that the bytes are slices of `au`.
// `au` null: the bytes need not be slices (parameter sets come from the config record).
void checkFragments(const std::vector<RtpPayload>& out, size_t first, size_t count, const Bytes& n,
                    size_t maxPayload, const core::MediaPacket* au) {
  Bytes body;
  for (size_t i = 0; i < count; ++i) {
    const RtpPayload& p = out[first + i];
    const Bytes bytes = flatten(p);
    BOOST_TEST_REQUIRE(bytes.size() <= maxPayload);
    BOOST_TEST_REQUIRE(bytes.size() > 2u);
    BOOST_TEST((bytes[0] & 0x1F) == 28);
    BOOST_TEST((bytes[0] & 0xE0) == (n[0] & 0xE0));  // F and NRI from the NAL
    BOOST_TEST((bytes[1] & 0x1F) == (n[0] & 0x1F));
    BOOST_TEST(((bytes[1] & 0x80) != 0) == (i == 0));          // S on the first only
    BOOST_TEST(((bytes[1] & 0x40) != 0) == (i + 1 == count));  // E on the last only
    BOOST_TEST((bytes[1] & 0x20) == 0);                        // R
    BOOST_TEST_REQUIRE(p.parts.size() == 2u);
    if (au) BOOST_TEST(inside(p.parts[1], au->payload));  // zero copy
    body.insert(body.end(), bytes.begin() + 2, bytes.end());
  }
  BOOST_TEST(body == Bytes(n.begin() + 1, n.end()), boost::test_tools::per_element());
}

}  // namespace

BOOST_AUTO_TEST_CASE(single_nal_units_are_slices_of_the_access_unit) {
  const Bytes sei = nal(6, 30, 0), slice = nal(1, 200, 2), one = nal(1, 1);
  const auto au = accessUnit({sei, slice, one});
  const auto out = packetize(au, 1200);
  BOOST_TEST_REQUIRE(out.size() == 3u);
  BOOST_TEST(flatten(out[0]) == sei, boost::test_tools::per_element());
  BOOST_TEST(flatten(out[1]) == slice, boost::test_tools::per_element());
  BOOST_TEST(flatten(out[2]) == one, boost::test_tools::per_element());  // a 1-byte NAL
  for (const auto& p : out) {
    BOOST_TEST(p.parts.size() == 1u);
    BOOST_TEST(inside(p.parts[0], au.payload));
  }
  BOOST_TEST(!out[0].marker);
  BOOST_TEST(!out[1].marker);
  BOOST_TEST(out[2].marker);
}

BOOST_AUTO_TEST_CASE(sizes_around_max_payload) {
  const size_t max = 100;
  for (size_t size : {max - 1, max}) {
    const Bytes n = nal(1, size);
    const auto out = packetize(accessUnit({n}), max);
    BOOST_TEST_REQUIRE(out.size() == 1u);
    BOOST_TEST(flatten(out[0]) == n, boost::test_tools::per_element());
    BOOST_TEST(out[0].marker);
  }
  // max + 1: the body is max bytes, 98 go in the first FU, 2 in the second.
  const Bytes over = nal(1, max + 1, 2);
  const auto au = accessUnit({over});
  const auto out = packetize(au, max);
  BOOST_TEST_REQUIRE(out.size() == 2u);
  checkFragments(out, 0, 2, over, max, &au);
  BOOST_TEST(flatten(out[0]).size() == max);
  BOOST_TEST(flatten(out[1]).size() == 4u);
  BOOST_TEST(!out[0].marker);
  BOOST_TEST(out[1].marker);
}

BOOST_AUTO_TEST_CASE(fragments_exactly_fill_max_payload) {
  const size_t max = 50;
  // A body of exactly 3 chunks of 48: three full FUs, none empty.
  const Bytes exact = nal(1, 1 + 3 * 48);
  const auto au = accessUnit({exact});
  const auto out = packetize(au, max);
  BOOST_TEST_REQUIRE(out.size() == 3u);
  checkFragments(out, 0, 3, exact, max, &au);
  for (const auto& p : out) BOOST_TEST(p.size() == max);
  // One more byte: a fourth FU of 3 bytes.
  const Bytes more = nal(1, 2 + 3 * 48);
  const auto au2 = accessUnit({more});
  const auto out2 = packetize(au2, max);
  BOOST_TEST_REQUIRE(out2.size() == 4u);
  checkFragments(out2, 0, 4, more, max, &au2);
  BOOST_TEST(out2[3].size() == 3u);
  // A large slice at the usual MTU.
  const Bytes big = nal(1, 100000);
  const auto au3 = accessUnit({big});
  const auto out3 = packetize(au3, 1200);
  BOOST_TEST_REQUIRE(out3.size() == (99999 + 1197) / 1198);
  checkFragments(out3, 0, out3.size(), big, 1200, &au3);
}

BOOST_AUTO_TEST_CASE(keyframe_gets_sps_pps_in_a_stap_a) {
  const auto info = core::parseAvcDecoderConfig(media_samples::kAvcConfig);
  BOOST_TEST_REQUIRE(info.has_value());
  const Bytes& sps = info->sps.front();
  const Bytes& pps = info->pps.front();
  const Bytes aud = nal(9, 2, 0), sei = nal(6, 20, 0), idr = nal(5, 3000), filler = nal(12, 9, 0);
  const auto au = accessUnit({aud, sei, idr, filler}, true);
  const auto out = packetize(au, 1200);
  // STAP-A, SEI, 3 FUs of the IDR; AUD and filler left out.
  BOOST_TEST_REQUIRE(out.size() == 5u);
  const Bytes stap = flatten(out[0]);
  Bytes want = {static_cast<uint8_t>(std::max(sps[0] & 0x60, pps[0] & 0x60) | 24)};
  want.push_back(0);
  want.push_back(static_cast<uint8_t>(sps.size()));
  want.insert(want.end(), sps.begin(), sps.end());
  want.push_back(0);
  want.push_back(static_cast<uint8_t>(pps.size()));
  want.insert(want.end(), pps.begin(), pps.end());
  BOOST_TEST(stap == want, boost::test_tools::per_element());
  BOOST_TEST(flatten(out[1]) == sei, boost::test_tools::per_element());
  checkFragments(out, 2, 3, idr, 1200, &au);
  for (size_t i = 0; i + 1 < out.size(); ++i) BOOST_TEST(!out[i].marker);
  BOOST_TEST(out.back().marker);
  // The IDR alone (keyframe flag not set) also gets them; a P frame does not.
  BOOST_TEST((flatten(packetize(accessUnit({idr}), 1200)[0])[0] & 0x1F) == 24);
  BOOST_TEST(packetize(accessUnit({nal(1, 10)}), 1200).size() == 1u);
  // In-band SPS/PPS are sent as they are, with no STAP-A.
  const auto inband = packetize(accessUnit({sps, pps, idr}, true), 4000);
  BOOST_TEST_REQUIRE(inband.size() == 3u);
  BOOST_TEST(flatten(inband[0]) == sps, boost::test_tools::per_element());
  BOOST_TEST(flatten(inband[1]) == pps, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(parameter_sets_too_big_for_one_stap_a_go_alone) {
  // kAvcConfig: SPS 25 bytes, PPS 6: their STAP-A (36 bytes) does not fit in 20.
  const auto info = core::parseAvcDecoderConfig(media_samples::kAvcConfig);
  BOOST_TEST_REQUIRE(info.has_value());
  const Bytes idr = nal(5, 10);
  const auto out = packetize(accessUnit({idr}, true), 20);
  // The SPS in 2 FUs (24 body bytes, 18 per FU), the PPS alone, the IDR alone.
  BOOST_TEST_REQUIRE(out.size() == 4u);
  checkFragments(out, 0, 2, info->sps.front(), 20, nullptr);
  BOOST_TEST(flatten(out[2]) == info->pps.front(), boost::test_tools::per_element());
  BOOST_TEST(flatten(out[3]) == idr, boost::test_tools::per_element());
  BOOST_TEST(out[3].marker);
  BOOST_TEST(!out[2].marker);
}

BOOST_AUTO_TEST_CASE(marker_only_on_the_last_payload) {
  const auto out = packetize(accessUnit({nal(1, 500), nal(1, 20), nal(1, 700), nal(9, 2)}), 300);
  // 2 + 1 + 3 payloads; the trailing AUD is left out, so the marker is on the slice's end.
  BOOST_TEST_REQUIRE(out.size() == 6u);
  for (size_t i = 0; i < out.size(); ++i) BOOST_TEST(out[i].marker == (i + 1 == out.size()));
  // Nothing to send: only an AUD.
  BOOST_TEST(packetize(accessUnit({nal(9, 2)}), 300).empty());
}

BOOST_AUTO_TEST_CASE(errors) {
  std::string error;
  auto au = accessUnit({nal(1, 50)});
  // A length that runs past the end.
  core::MediaPacket cut = au;
  cut.payload = au.payload.slice(0, 30);
  BOOST_TEST(packetizeH264(cut, media_samples::kAvcConfig, 1200, &error).empty());
  BOOST_TEST(error.find("NAL length 50 at offset 0 runs past") != std::string::npos, error);
  cut.payload = au.payload.slice(0, 2);
  BOOST_TEST(packetizeH264(cut, media_samples::kAvcConfig, 1200, &error).empty());
  BOOST_TEST(error.find("cannot hold a 4-byte NAL length") != std::string::npos, error);
  BOOST_TEST(packetizeH264(au, media_samples::kAvcConfig, kH264MinPayload - 1, &error).empty());
  BOOST_TEST(error.find("max payload 15") != std::string::npos, error);
  const auto config = media_samples::config(core::MediaKind::Video);
  BOOST_TEST(packetizeH264(config, media_samples::kAvcConfig, 1200, &error).empty());
  BOOST_TEST(error.find("config packet") != std::string::npos, error);
  // An IDR with an unreadable record: reported, the picture still goes out.
  const std::vector<uint8_t> junk = {1, 2, 3, 4, 0xFF, 0xE1, 0, 1};
  const auto idr = packetizeH264(accessUnit({nal(5, 40)}, true), junk, 1200, &error);
  BOOST_TEST(idr.size() == 1u);
  BOOST_TEST(error.find("no SPS/PPS for a keyframe") != std::string::npos, error);
  // The NAL length size comes from the record (2 here).
  std::vector<uint8_t> twoByte = media_samples::kAvcConfig;
  twoByte[4] = 0xFD;
  core::MediaPacket small = au;
  small.payload = core::SharedBuffer::copyOf(Bytes{0, 3, 0x61, 1, 2, 0, 2, 0x41, 9});
  const auto out = packetizeH264(small, twoByte, 1200, &error);
  BOOST_TEST_REQUIRE(out.size() == 2u);
  BOOST_TEST(flatten(out[1]) == Bytes({0x41, 9}), boost::test_tools::per_element());
}
