#include "protocols/rtmp/chunk_writer.hpp"

#include <boost/test/unit_test.hpp>
#include <map>
#include <random>

#include "protocols/rtmp/chunk_reader.hpp"

using namespace rtmp;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes toBytes(const core::SharedBuffer& b) {
  return Bytes(b.span().begin(), b.span().end());
}

RtmpMessage makeMessage(uint32_t csid, uint8_t type, uint32_t ts, uint32_t sid, Bytes payload) {
  return RtmpMessage{csid, type, ts, sid, core::SharedBuffer::adopt(std::move(payload))};
}

// Random messages: lengths 0..200000, every basic header form, timestamps crossing
// 0xFFFFFF and wrapping, and runs that repeat length/type/delta (fmt 2 and 3 material).
std::vector<RtmpMessage> randomMessages(std::mt19937& rng, int count) {
  const uint32_t csids[] = {3, 4, 5, 63, 64, 65, 200, 319, 320, 321, 1000, 65599};
  struct Last {
    uint32_t ts = 0, delta = 0, sid = 1;
    size_t len = 0;
    uint8_t type = msg::kVideo;
  };
  std::map<uint32_t, Last> last;
  std::vector<RtmpMessage> out;
  for (int i = 0; i < count; ++i) {
    uint32_t csid = csids[rng() % std::size(csids)];
    Last& l = last[csid];
    if (rng() % 5 >= 2) {  // new attributes; otherwise repeat the previous ones
      const uint8_t types[] = {msg::kAudio, msg::kVideo, msg::kDataAmf0, msg::kCommandAmf0,
                               msg::kUserControl};
      l.type = types[rng() % std::size(types)];
      l.len = rng() % 10 == 0 ? rng() % 200001 : rng() % 1500;
      if (rng() % 8 == 0) l.sid = rng() % 3;
      switch (rng() % 6) {
        case 0:
          l.delta = 0;
          break;
        case 1:
          l.delta = 0xFFFFFF + rng() % 3;
          break;
        case 2:
          l.delta = static_cast<uint32_t>(rng());  // huge: wraps, often backwards
          break;
        default:
          l.delta = rng() % 100;
      }
    }
    l.ts += l.delta;
    Bytes p(l.len);
    for (auto& x : p) x = uint8_t(rng());
    out.push_back(makeMessage(csid, l.type, l.ts, l.sid, std::move(p)));
  }
  return out;
}

// Reads `stream` with random split points; the first message must be the Set Chunk Size.
void expectRoundTrip(const Bytes& stream, const std::vector<RtmpMessage>& sent, uint32_t chunkSize,
                     std::mt19937& rng) {
  ChunkReader reader;
  std::vector<RtmpMessage> got;
  for (size_t pos = 0; pos < stream.size();) {
    size_t n = std::min<size_t>(stream.size() - pos, 1 + rng() % 70000);
    auto st = reader.feed(std::span(stream).subspan(pos, n), got);
    BOOST_REQUIRE_MESSAGE(st.ok, st.reason);
    pos += n;
  }
  BOOST_TEST(reader.chunkSize() == chunkSize);
  BOOST_REQUIRE(got.size() == sent.size() + 1);
  BOOST_TEST(int(got[0].type) == int(msg::kSetChunkSize));
  for (size_t i = 0; i < sent.size(); ++i) {
    const auto& a = sent[i];
    const auto& b = got[i + 1];
    BOOST_TEST_CONTEXT("message " << i) {
      BOOST_TEST(b.csid == a.csid);
      BOOST_TEST(int(b.type) == int(a.type));
      BOOST_TEST(b.timestamp == a.timestamp);
      BOOST_TEST(b.streamId == a.streamId);
      BOOST_REQUIRE(b.payload.size() == a.payload.size());
      BOOST_TEST(
          std::equal(a.payload.span().begin(), a.payload.span().end(), b.payload.span().begin()));
    }
  }
}

}  // namespace

BOOST_AUTO_TEST_CASE(exact_bytes_of_a_small_fmt0_message) {
  Bytes payload = {0xAA, 0xBB, 0xCC};
  auto out = toBytes(serializeMessage(3, msg::kCommandAmf0, 1000, 1, payload, 128));
  Bytes expected = {0x03,                    // fmt 0, csid 3
                    0x00, 0x03, 0xE8,        // timestamp 1000
                    0x00, 0x00, 0x03,        // length 3
                    0x14,                    // type 20
                    0x01, 0x00, 0x00, 0x00,  // stream id 1, little-endian
                    0xAA, 0xBB, 0xCC};
  BOOST_TEST(out == expected);
}

BOOST_AUTO_TEST_CASE(exact_bytes_of_long_csids_and_extended_continuations) {
  Bytes p = {1, 2, 3, 4, 5};
  auto two = toBytes(serializeMessage(100, msg::kAudio, 0, 0, {}, 128));
  Bytes twoExpected = {0x00, 100 - 64, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0};
  BOOST_TEST(two == twoExpected);

  auto three = toBytes(serializeMessage(400, msg::kAudio, 0, 0, {}, 128));
  Bytes threeExpected = {0x01, 0x50, 0x01, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0};  // 400-64 = 0x150
  BOOST_TEST(three == threeExpected);

  auto ext = toBytes(serializeMessage(4, msg::kVideo, 0x01020304, 0, p, 3));
  Bytes extExpected = {0x04, 0xFF, 0xFF, 0xFF, 0,    0,    5, 9, 0, 0,
                       0,    0,    0x01, 0x02, 0x03, 0x04, 1, 2, 3,  // first chunk
                       0xC4, 0x01, 0x02, 0x03, 0x04,                 // fmt 3 + ext
                       4,    5};
  BOOST_TEST(ext == extExpected);

  auto plain = toBytes(serializeMessage(4, msg::kVideo, 0xFFFFFE, 0, p, 3));
  Bytes plainExpected = {0x04, 0xFF, 0xFF, 0xFE, 0, 0, 5, 9, 0, 0, 0, 0, 1, 2, 3, 0xC4, 4, 5};
  BOOST_TEST(plain == plainExpected);
}

BOOST_AUTO_TEST_CASE(stateful_writer_picks_the_smallest_header) {
  ChunkWriter w;
  auto first = w.write(makeMessage(6, msg::kVideo, 100, 1, Bytes(10, 1)));
  BOOST_TEST(first.size() == 12u + 10u);
  BOOST_TEST(first[0] == 0x06);  // fmt 0

  auto fmt1 = w.write(makeMessage(6, msg::kVideo, 140, 1, Bytes(20, 2)));  // length differs
  Bytes fmt1Header = {0x46, 0, 0, 40, 0, 0, 20, 9};
  BOOST_TEST(Bytes(fmt1.begin(), fmt1.begin() + 8) == fmt1Header);

  auto fmt2 = w.write(makeMessage(6, msg::kVideo, 173, 1, Bytes(20, 3)));  // delta differs
  Bytes fmt2Header = {0x86, 0, 0, 33};
  BOOST_TEST(Bytes(fmt2.begin(), fmt2.begin() + 4) == fmt2Header);
  BOOST_TEST(fmt2.size() == 4u + 20u);

  auto fmt3 = w.write(makeMessage(6, msg::kVideo, 206, 1, Bytes(20, 4)));  // all the same
  BOOST_TEST(fmt3.size() == 1u + 20u);
  BOOST_TEST(fmt3[0] == 0xC6);

  auto back = w.write(makeMessage(6, msg::kVideo, 10, 1, Bytes(20, 5)));  // backwards
  BOOST_TEST(back[0] == 0x06);
  auto afterFmt0 = w.write(makeMessage(6, msg::kVideo, 20, 1, Bytes(20, 5)));
  BOOST_TEST(afterFmt0[0] == 0x86);  // not fmt 3 right after a fmt 0 (see NOTE)
  auto otherStream = w.write(makeMessage(6, msg::kVideo, 30, 2, Bytes(20, 5)));
  BOOST_TEST(otherStream[0] == 0x06);
  auto otherCsid = w.write(makeMessage(7, msg::kVideo, 30, 2, Bytes(20, 5)));
  BOOST_TEST(otherCsid[0] == 0x07);

  w.reset();
  BOOST_TEST(w.write(makeMessage(6, msg::kVideo, 63, 2, Bytes(20, 5)))[0] == 0x06);
}

BOOST_AUTO_TEST_CASE(round_trip_stateless_serializer) {
  std::mt19937 rng(2024);
  for (uint32_t chunkSize : {128u, 4096u, 65536u}) {
    BOOST_TEST_CONTEXT("chunk size " << chunkSize) {
      auto sent = randomMessages(rng, 150);
      auto csm = controlMessage(msg::kSetChunkSize, setChunkSizePayload(chunkSize));
      Bytes stream = toBytes(serializeMessage(csm.csid, csm.type, 0, 0, csm.payload.span(), 128));
      for (const auto& m : sent) {
        auto b =
            serializeMessage(m.csid, m.type, m.timestamp, m.streamId, m.payload.span(), chunkSize);
        BOOST_REQUIRE((b[0] >> 6) == 0);
        stream.insert(stream.end(), b.span().begin(), b.span().end());
      }
      expectRoundTrip(stream, sent, chunkSize, rng);
    }
  }
}

BOOST_AUTO_TEST_CASE(round_trip_stateful_writer) {
  std::mt19937 rng(77);
  for (uint32_t chunkSize : {128u, 4096u, 65536u}) {
    BOOST_TEST_CONTEXT("chunk size " << chunkSize) {
      auto sent = randomMessages(rng, 300);
      ChunkWriter w;
      Bytes stream = w.write(controlMessage(msg::kSetChunkSize, setChunkSizePayload(chunkSize)));
      w.setChunkSize(chunkSize);
      int fmtCount[4] = {};
      for (const auto& m : sent) {
        auto b = w.write(m);
        fmtCount[b[0] >> 6]++;
        stream.insert(stream.end(), b.begin(), b.end());
      }
      for (int f = 0; f < 4; ++f) BOOST_TEST(fmtCount[f] > 0, "fmt " << f << " never used");
      expectRoundTrip(stream, sent, chunkSize, rng);
    }
  }
}

BOOST_AUTO_TEST_CASE(control_payload_builders) {
  BOOST_TEST(setChunkSizePayload(4096) == (Bytes{0, 0, 0x10, 0}));
  BOOST_TEST(ackPayload(0x01020304) == (Bytes{1, 2, 3, 4}));
  BOOST_TEST(windowAckSizePayload(2500000) == (Bytes{0x00, 0x26, 0x25, 0xA0}));
  BOOST_TEST(setPeerBandwidthPayload(2500000, LimitType::Dynamic) ==
             (Bytes{0x00, 0x26, 0x25, 0xA0, 2}));
  BOOST_TEST(streamBeginPayload(1) == (Bytes{0, 0, 0, 0, 0, 1}));
  BOOST_TEST(streamEofPayload(1) == (Bytes{0, 1, 0, 0, 0, 1}));
  BOOST_TEST(streamIsRecordedPayload(1) == (Bytes{0, 4, 0, 0, 0, 1}));
  BOOST_TEST(pingRequestPayload(0x10203040) == (Bytes{0, 6, 0x10, 0x20, 0x30, 0x40}));
  BOOST_TEST(pingResponsePayload(7) == (Bytes{0, 7, 0, 0, 0, 7}));
  BOOST_TEST(setBufferLengthPayload(1, 3000) == (Bytes{0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8}));
  auto m = controlMessage(msg::kWindowAckSize, windowAckSizePayload(5000000));
  BOOST_TEST(m.csid == 2u);
  BOOST_TEST(m.streamId == 0u);
  BOOST_TEST(m.payload.size() == 4u);
}
