#include "protocols/webrtc/h264_depacketizer.hpp"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <iterator>
#include <random>

#include "core/format/annexb.hpp"
#include "core/format/avc_config.hpp"
#include "protocols/webrtc/h264_packetizer.hpp"
#include "tests/unit/media_samples.hpp"

using namespace webrtc;

namespace {

using Bytes = std::vector<uint8_t>;
using AccessUnit = H264Depacketizer::AccessUnit;

Bytes nal(uint8_t type, size_t size, uint8_t seed = 0) {
  Bytes n(size);
  n[0] = static_cast<uint8_t>(0x60 | type);
  for (size_t i = 1; i < size; ++i) n[i] = static_cast<uint8_t>(i * 13 + seed);
  return n;
}

Bytes avccOf(const std::vector<Bytes>& nals) {
  Bytes avcc;
  for (const auto& n : nals) {
    for (int s = 24; s >= 0; s -= 8) avcc.push_back(static_cast<uint8_t>(n.size() >> s));
    avcc.insert(avcc.end(), n.begin(), n.end());
  }
  return avcc;
}

core::MediaPacket packetOf(const Bytes& avcc, bool keyframe) {
  core::MediaPacket p;
  p.kind = core::MediaKind::Video;
  p.codec = core::Codec::H264;
  p.keyframe = keyframe;
  p.payload = core::SharedBuffer::copyOf(avcc);
  return p;
}

const core::AvcInfo& sampleInfo() {
  static const core::AvcInfo info = *core::parseAvcDecoderConfig(media_samples::kAvcConfig);
  return info;
}

// Sends RTP payloads through buildRtp/parseRtp, as a WHIP sender's packets would come.
struct Sender {
  H264Depacketizer depacketizer;
  uint16_t seq = 65530;  // wraps on the way
  std::vector<AccessUnit> units;
  std::vector<std::optional<Bytes>> configs;  // per unit: the record taken after it

  void collect(std::optional<AccessUnit> unit) {
    while (unit) {
      units.push_back(std::move(*unit));
      configs.push_back(depacketizer.takeNewConfig());
      unit = depacketizer.takeReady();
    }
  }
  void send(std::span<const core::SharedBuffer> parts, uint32_t ts, bool marker,
            bool lossBefore = false) {
    RtpHeader h;
    h.pt = 102;
    h.seq = seq++;
    h.timestamp = ts;
    h.marker = marker;
    h.ssrc = 42;
    const Bytes packet = buildRtp(h, parts);
    std::string error;
    const auto parsed = parseRtp(packet, error);
    BOOST_TEST_REQUIRE(parsed.has_value(), error);
    collect(depacketizer.push(*parsed, parsed->payloadOf(packet), lossBefore));
  }
  void send(const Bytes& payload, uint32_t ts, bool marker, bool lossBefore = false) {
    const core::SharedBuffer part = core::SharedBuffer::copyOf(payload);
    send(std::span(&part, 1), ts, marker, lossBefore);
  }
  // A whole access unit through the packetizer; `skip`: payload indexes not sent (the
  // next one sent carries lossBefore).
  void sendUnit(const Bytes& avcc, bool keyframe, uint32_t ts, size_t maxPayload,
                std::span<const uint8_t> config = media_samples::kAvcConfig,
                std::vector<size_t> skip = {}) {
    std::string error;
    const auto payloads = packetizeH264(packetOf(avcc, keyframe), config, maxPayload, &error);
    BOOST_TEST_REQUIRE(error.empty(), error);
    bool lost = false;
    for (size_t i = 0; i < payloads.size(); ++i) {
      if (std::find(skip.begin(), skip.end(), i) != skip.end()) {
        lost = true;
        continue;
      }
      send(payloads[i].parts, ts, payloads[i].marker, lost);
      lost = false;
    }
  }
};

Bytes stapA(const std::vector<Bytes>& nals) {
  Bytes out = {0x78};
  for (const auto& n : nals) {
    out.push_back(static_cast<uint8_t>(n.size() >> 8));
    out.push_back(static_cast<uint8_t>(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

// x264 access units from the fixture: each AUD starts one (see data/README).
struct Fixture {
  std::vector<std::vector<Bytes>> units;  // NAL units per access unit, SPS/PPS taken out
  Bytes config;
};

Fixture loadFixture() {
  const std::string path =
      std::string(ROOMCAST_SOURCE_DIR) + "tests/unit/protocols/webrtc/data/x264_160x96.h264";
  std::ifstream in(path, std::ios::binary);
  const Bytes stream{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  BOOST_TEST_REQUIRE(!stream.empty(), "cannot read " << path);
  Fixture f;
  std::vector<Bytes> sps, pps;  // the first of each (x264 repeats them at every IDR)
  for (auto unit : core::splitAnnexB(stream)) {
    const uint8_t type = unit[0] & 0x1F;
    if (type == 9 || f.units.empty()) f.units.emplace_back();
    if (type == 7 && sps.empty()) sps.emplace_back(unit.begin(), unit.end());
    if (type == 8 && pps.empty()) pps.emplace_back(unit.begin(), unit.end());
    if (type != 7 && type != 8) f.units.back().emplace_back(unit.begin(), unit.end());
  }
  f.config = core::makeAvcDecoderConfig(sps, pps, 4);
  return f;
}

// What comes out for what went in: no AUD or filler (the packetizer leaves them out).
Bytes expectedAvcc(const std::vector<Bytes>& nals) {
  std::vector<Bytes> kept;
  for (const auto& n : nals) {
    if ((n[0] & 0x1F) != 9 && (n[0] & 0x1F) != 12) kept.push_back(n);
  }
  return avccOf(kept);
}

bool hasIdr(const std::vector<Bytes>& nals) {
  return std::any_of(nals.begin(), nals.end(), [](const Bytes& n) { return (n[0] & 0x1F) == 5; });
}

// Every unit is well-formed AVCC: 4-byte lengths that end exactly at its end.
bool wellFormed(const Bytes& avcc) {
  size_t pos = 0;
  while (pos + 4 <= avcc.size()) {
    const size_t len =
        size_t(avcc[pos]) << 24 | avcc[pos + 1] << 16 | avcc[pos + 2] << 8 | avcc[pos + 3];
    if (len == 0 || len > avcc.size() - pos - 4) return false;
    pos += 4 + len;
  }
  return pos == avcc.size() && !avcc.empty();
}

}  // namespace

BOOST_AUTO_TEST_CASE(real_x264_round_trip) {
  const Fixture f = loadFixture();
  BOOST_TEST_REQUIRE(f.units.size() >= 6u);
  BOOST_TEST_REQUIRE(!f.config.empty());
  for (size_t maxPayload : {1200, 100, 16}) {
    Sender s;
    for (size_t i = 0; i < f.units.size(); ++i) {
      s.sendUnit(avccOf(f.units[i]), hasIdr(f.units[i]), uint32_t(i * 3000), maxPayload, f.config);
    }
    BOOST_TEST_REQUIRE(s.units.size() == f.units.size());
    for (size_t i = 0; i < f.units.size(); ++i) {
      BOOST_TEST(s.units[i].avcc == expectedAvcc(f.units[i]), boost::test_tools::per_element());
      BOOST_TEST(s.units[i].keyframe == hasIdr(f.units[i]));
      BOOST_TEST(s.units[i].rtpTimestamp == i * 3000);
      // The record comes with the first unit only, the same as the stream's own.
      BOOST_TEST(s.configs[i].has_value() == (i == 0));
    }
    BOOST_TEST(*s.configs[0] == f.config, boost::test_tools::per_element());
    BOOST_TEST(!s.depacketizer.needsKeyframe());
    BOOST_TEST(s.depacketizer.stats().dropped == 0u);
    BOOST_TEST(s.depacketizer.stats().malformed == 0u);
  }
}

BOOST_AUTO_TEST_CASE(hand_built_round_trip_with_multi_slice_pictures) {
  const std::vector<std::vector<Bytes>> units = {
      {nal(9, 2), nal(6, 40), nal(5, 3000, 1), nal(5, 1199, 2), nal(5, 1, 3)},
      {nal(1, 1200, 4), nal(1, 1201, 5), nal(12, 30)},
      {nal(1, 2)},
      {nal(5, 5000, 6)},
  };
  Sender s;
  for (size_t i = 0; i < units.size(); ++i) {
    s.sendUnit(avccOf(units[i]), hasIdr(units[i]), uint32_t(i * 3000), 1200);
  }
  BOOST_TEST_REQUIRE(s.units.size() == units.size());
  for (size_t i = 0; i < units.size(); ++i) {
    BOOST_TEST(s.units[i].avcc == expectedAvcc(units[i]), boost::test_tools::per_element());
    BOOST_TEST(s.units[i].keyframe == hasIdr(units[i]));
  }
  const auto record = core::makeAvcDecoderConfig(sampleInfo().sps, sampleInfo().pps, 4);
  BOOST_TEST(*s.configs[0] == record, boost::test_tools::per_element());
}

// OBS and some encoders: SPS and PPS each in their own packet, an IDR in several slices,
// all with one timestamp and the marker on the last.
BOOST_AUTO_TEST_CASE(split_parameter_sets_and_slices_by_timestamp) {
  const Bytes& sps = sampleInfo().sps.front();
  const Bytes& pps = sampleInfo().pps.front();
  const Bytes a = nal(5, 300, 1), b = nal(5, 200, 2), c = nal(5, 100, 3);
  Sender s;
  s.send(sps, 9000, false);
  s.send(pps, 9000, false);
  s.send(a, 9000, false);
  s.send(b, 9000, false);
  BOOST_TEST(s.units.empty());
  s.send(c, 9000, true);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  BOOST_TEST(s.units[0].avcc == avccOf({a, b, c}), boost::test_tools::per_element());
  BOOST_TEST(s.units[0].keyframe);
  BOOST_TEST(s.units[0].rtpTimestamp == 9000u);
  BOOST_TEST_REQUIRE(s.configs[0].has_value());
  const auto info = core::parseAvcDecoderConfig(*s.configs[0]);
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->sps.front() == sps, boost::test_tools::per_element());
  BOOST_TEST(info->pps.front() == pps, boost::test_tools::per_element());

  // Parameter sets with a timestamp of their own (and a marker): the record still comes
  // with the next picture, not before.
  Sender t;
  t.send(stapA({sps, pps}), 100, true);
  BOOST_TEST(t.units.empty());
  BOOST_TEST(!t.depacketizer.takeNewConfig().has_value());
  t.send(a, 200, true);
  BOOST_TEST_REQUIRE(t.units.size() == 1u);
  BOOST_TEST(t.configs[0].has_value());
}

BOOST_AUTO_TEST_CASE(timestamp_change_ends_a_unit_without_marker) {
  const Bytes p1 = nal(1, 50, 1), p2 = nal(1, 60, 2), p3 = nal(1, 70, 3);
  Sender s;
  s.send(stapA({sampleInfo().sps.front(), sampleInfo().pps.front(), nal(5, 20)}), 0, true);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  s.send(p1, 3000, false);  // the sender never sets the marker
  BOOST_TEST(s.units.size() == 1u);
  s.send(p2, 6000, false);
  BOOST_TEST_REQUIRE(s.units.size() == 2u);
  BOOST_TEST(s.units[1].avcc == avccOf({p1}), boost::test_tools::per_element());
  BOOST_TEST(s.units[1].rtpTimestamp == 3000u);
  // A one-packet unit with the marker right after: two units from one push.
  H264Depacketizer& d = s.depacketizer;
  RtpHeader h;
  h.timestamp = 9000;
  h.marker = true;
  auto first = d.push(h, p3, false);
  BOOST_TEST_REQUIRE(first.has_value());
  BOOST_TEST(first->rtpTimestamp == 6000u);
  auto second = d.takeReady();
  BOOST_TEST_REQUIRE(second.has_value());
  BOOST_TEST(second->rtpTimestamp == 9000u);
  BOOST_TEST(second->avcc == avccOf({p3}), boost::test_tools::per_element());
  BOOST_TEST(!d.takeReady().has_value());
}

// Chromium probes bandwidth with padding-only packets on the video SSRC (no RTX): they
// have no payload and any timestamp, and must not cut or break a picture.
BOOST_AUTO_TEST_CASE(padding_only_packets_are_skipped) {
  const Bytes idr = avccOf({nal(5, 3000)});
  Sender s;
  const auto payloads = packetizeH264(packetOf(idr, true), media_samples::kAvcConfig, 1200);
  BOOST_TEST_REQUIRE(payloads.size() == 4u);
  s.send(payloads[0].parts, 3000, false);
  s.send(payloads[1].parts, 3000, false);
  s.send(Bytes{}, 0, false);  // an old timestamp, mid picture
  s.send(payloads[2].parts, 3000, false);
  s.send(payloads[3].parts, 3000, true);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  BOOST_TEST(s.units[0].avcc == idr, boost::test_tools::per_element());
  BOOST_TEST(s.depacketizer.stats().paddingOnly == 1u);
  BOOST_TEST(s.depacketizer.stats().malformed == 0u);
  // A loss reported on a padding packet counts for the next packet with media.
  s.send(Bytes{}, 3000, false, true);
  s.send(nal(1, 20), 6000, true);
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
}

BOOST_AUTO_TEST_CASE(loss_drops_until_the_next_idr) {
  const Bytes idr = avccOf({nal(5, 3000)}), p = avccOf({nal(1, 3000)}), small = avccOf({nal(1, 9)});
  Sender s;
  s.sendUnit(idr, true, 0, 1200);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  BOOST_TEST(!s.depacketizer.needsKeyframe());
  // The middle FU of a P frame is lost: the frame is dropped, a keyframe needed.
  s.sendUnit(p, false, 3000, 1200, media_samples::kAvcConfig, {1});
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
  // Whole P frames after it are dropped too (their reference is gone).
  s.sendUnit(small, false, 6000, 1200);
  s.sendUnit(p, false, 9000, 1200);
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.stats().dropped == 3u);
  // The next IDR restores the stream.
  s.sendUnit(idr, true, 12000, 1200);
  BOOST_TEST_REQUIRE(s.units.size() == 2u);
  BOOST_TEST(s.units[1].rtpTimestamp == 12000u);
  BOOST_TEST(!s.depacketizer.needsKeyframe());
  // The first packet of an IDR lost (the STAP-A): the IDR is dropped.
  s.sendUnit(idr, true, 15000, 1200, media_samples::kAvcConfig, {0});
  BOOST_TEST(s.units.size() == 2u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
  // The marker packet lost: the unit and the next one (lossBefore on its first) dropped.
  s.sendUnit(idr, true, 18000, 1200);
  BOOST_TEST_REQUIRE(s.units.size() == 3u);
  s.sendUnit(p, false, 21000, 1200, media_samples::kAvcConfig, {2});
  BOOST_TEST(s.units.size() == 3u);
  s.send(nal(1, 10), 24000, true, true);
  BOOST_TEST(s.units.size() == 3u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
  BOOST_TEST(s.depacketizer.stats().malformed == 0u);
}

BOOST_AUTO_TEST_CASE(fu_a_without_start_is_a_loss_even_unflagged) {
  const Bytes idr = avccOf({nal(5, 3000)});
  Sender s;
  s.sendUnit(idr, true, 0, 1200);
  const auto payloads = packetizeH264(packetOf(avccOf({nal(1, 3000)}), false), {}, 1200);
  BOOST_TEST_REQUIRE(payloads.size() == 3u);
  s.send(payloads[1].parts, 3000, false);  // the start never came, nobody said so
  s.send(payloads[2].parts, 3000, true);
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
  BOOST_TEST(s.depacketizer.stats().malformed == 1u);
  BOOST_TEST(s.depacketizer.lastError().find("without its start") != std::string::npos);
  // A unit that ends inside an FU-A (the end never came): dropped, and the P frame
  // after it waits for an IDR.
  s.sendUnit(idr, true, 6000, 1200);
  BOOST_TEST_REQUIRE(s.units.size() == 2u);
  s.send(payloads[0].parts, 9000, false);
  s.send(nal(1, 5), 12000, true);
  BOOST_TEST(s.units.size() == 2u);
  BOOST_TEST(s.depacketizer.stats().malformed == 2u);
  BOOST_TEST(s.depacketizer.stats().dropped == 3u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
}

BOOST_AUTO_TEST_CASE(first_unit_must_be_an_idr_with_parameter_sets) {
  Sender s;
  BOOST_TEST(s.depacketizer.needsKeyframe());
  s.send(nal(1, 30), 0, true);  // a P frame before any IDR
  BOOST_TEST(s.units.empty());
  s.send(nal(5, 30), 3000, true);  // an IDR, but no SPS/PPS ever
  BOOST_TEST(s.units.empty());
  BOOST_TEST(s.depacketizer.lastError() == "h264: no SPS/PPS yet");
  BOOST_TEST(s.depacketizer.needsKeyframe());
  s.send(stapA({sampleInfo().sps.front(), sampleInfo().pps.front()}), 6000, false);
  s.send(nal(5, 30), 6000, true);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  BOOST_TEST(s.units[0].keyframe);
  BOOST_TEST(!s.depacketizer.needsKeyframe());
  BOOST_TEST(s.depacketizer.stats().dropped == 2u);
}

BOOST_AUTO_TEST_CASE(interleaved_and_malformed_packets_are_counted) {
  Sender s;
  s.sendUnit(avccOf({nal(5, 50)}), true, 0, 1200);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  uint32_t ts = 3000;
  for (uint8_t type : {25, 26, 27, 29}) {  // STAP-B, MTAP16, MTAP24, FU-B
    s.send({static_cast<uint8_t>(0x60 | type), 0, 1, 2, 3}, ts, true);
    ts += 3000;
  }
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.stats().refused == 4u);
  BOOST_TEST(s.depacketizer.lastError().find("interleaved") != std::string::npos);
  const uint64_t malformedBefore = s.depacketizer.stats().malformed;
  s.send({0x7C, 0xC1, 1, 2}, ts += 3000, true);  // FU-A with S and E
  BOOST_TEST(s.depacketizer.lastError().find("both S and E") != std::string::npos);
  s.send({0x78, 0, 9, 0x61, 1}, ts += 3000, true);  // STAP-A size past the end
  BOOST_TEST(s.depacketizer.lastError().find("STAP-A unit size 9") != std::string::npos);
  s.send({0x78, 0, 0}, ts += 3000, true);  // STAP-A unit of size 0
  s.send({0x7C}, ts += 3000, true);        // FU-A without FU header
  BOOST_TEST(s.depacketizer.stats().malformed == malformedBefore + 4);
  BOOST_TEST(s.units.size() == 1u);
  // A reserved type (30) is ignored; the unit around it survives.
  s.sendUnit(avccOf({nal(5, 50)}), true, ts += 3000, 1200);
  s.send(nal(1, 20), ts += 3000, false);
  s.send({0x7E, 1, 2}, ts, false);
  s.send(nal(1, 21), ts, true);
  BOOST_TEST_REQUIRE(s.units.size() == 3u);
  BOOST_TEST(s.units[2].avcc == avccOf({nal(1, 20), nal(1, 21)}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(new_parameter_sets_come_with_their_picture) {
  const Bytes& sps = sampleInfo().sps.front();
  const Bytes& pps = sampleInfo().pps.front();
  Sender s;
  s.send(stapA({sps, pps, nal(5, 40)}), 0, true);
  BOOST_TEST_REQUIRE(s.units.size() == 1u);
  BOOST_TEST(s.configs[0].has_value());
  // The same SPS/PPS again: no new record.
  s.send(stapA({sps, pps, nal(5, 40)}), 3000, true);
  BOOST_TEST_REQUIRE(s.units.size() == 2u);
  BOOST_TEST(!s.configs[1].has_value());
  // A P frame with no marker, then a changed SPS (same id 0, other level) at the next
  // timestamp: the P frame comes out first, without the record; the record comes with
  // the IDR of the new SPS.
  Bytes sps2 = sps;
  sps2[3] = 0x1f;
  s.send(nal(1, 30), 6000, false);
  s.send(stapA({sps2, pps}), 9000, false);
  BOOST_TEST_REQUIRE(s.units.size() == 3u);
  BOOST_TEST(!s.configs[2].has_value());
  s.send(nal(5, 40), 9000, true);
  BOOST_TEST_REQUIRE(s.units.size() == 4u);
  BOOST_TEST_REQUIRE(s.configs[3].has_value());
  const auto info = core::parseAvcDecoderConfig(*s.configs[3]);
  BOOST_TEST_REQUIRE(info.has_value());
  BOOST_TEST(info->sps.size() == 1u);  // replaced, keyed by id
  BOOST_TEST(info->level == 0x1f);
  // A second PPS id is added to the record.
  const Bytes pps1 = {0x68, 0x5E, 0x38, 0x80};  // pic_parameter_set_id 1 (ue "010")
  s.send(stapA({pps1, nal(5, 40)}), 12000, true);
  BOOST_TEST_REQUIRE(s.configs[4].has_value());
  BOOST_TEST(core::parseAvcDecoderConfig(*s.configs[4])->pps.size() == 2u);
}

BOOST_AUTO_TEST_CASE(access_unit_size_is_bounded) {
  Sender s;
  s.sendUnit(avccOf({nal(5, 50)}), true, 0, 1200);
  const Bytes chunk(60000, 0x11);
  Bytes start = {0x7C, 0x81};
  start.insert(start.end(), chunk.begin(), chunk.end());
  Bytes middle = {0x7C, 0x01};
  middle.insert(middle.end(), chunk.begin(), chunk.end());
  s.send(start, 3000, false);
  const size_t fragments = H264Depacketizer::kMaxAccessUnitBytes / chunk.size() + 5;
  for (size_t i = 0; i < fragments; ++i) s.send(middle, 3000, false);
  s.send({0x7C, 0x41, 1}, 3000, true);
  BOOST_TEST(s.units.size() == 1u);
  BOOST_TEST(s.depacketizer.lastError().find("access unit over") != std::string::npos,
             s.depacketizer.lastError());
  BOOST_TEST(s.depacketizer.stats().malformed == 1u);
  BOOST_TEST(s.depacketizer.needsKeyframe());
}

BOOST_AUTO_TEST_CASE(fuzz_no_crash_and_well_formed_output) {
  std::mt19937 rng(6184);
  // A valid stream to mutate: STAP-A + FU-A IDRs and P frames.
  std::vector<Bytes> valid;
  for (int i = 0; i < 6; ++i) {
    const auto au =
        packetOf(avccOf({nal(i % 3 == 0 ? 5 : 1, 400 + 50 * i, uint8_t(i))}), i % 3 == 0);
    for (const auto& p : packetizeH264(au, media_samples::kAvcConfig, 150)) {
      Bytes b;
      for (const auto& part : p.parts) b.insert(b.end(), part.data(), part.data() + part.size());
      valid.push_back(b);
    }
  }
  H264Depacketizer d;
  uint32_t ts = 0;
  size_t out = 0;
  for (int i = 0; i < 100000; ++i) {
    Bytes payload;
    if (i % 2 == 0) {
      payload = valid[rng() % valid.size()];
      if (rng() % 2) payload[rng() % payload.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) payload.resize(rng() % (payload.size() + 1));
    } else {
      payload.resize(rng() % 40);
      for (auto& b : payload) b = static_cast<uint8_t>(rng());
    }
    RtpHeader h;
    if (rng() % 3 == 0) ts += 3000;
    h.timestamp = ts;
    h.marker = rng() % 4 == 0;
    auto unit = d.push(h, payload, rng() % 50 == 0);
    while (unit) {
      ++out;
      BOOST_TEST_REQUIRE(wellFormed(unit->avcc));
      unit = d.takeReady();
    }
    if (auto config = d.takeNewConfig()) BOOST_TEST_REQUIRE(config->size() >= 7u);
  }
  BOOST_TEST_MESSAGE("fuzz: " << out << " access units, " << d.stats().malformed << " malformed");
  BOOST_TEST(out > 0u);
}
