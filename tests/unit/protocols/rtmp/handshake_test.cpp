#include "protocols/rtmp/handshake.hpp"

#include <boost/test/unit_test.hpp>
#include <random>
#include <string_view>

using namespace rtmp;
namespace hd = rtmp::handshake_detail;

namespace {

using Bytes = std::vector<uint8_t>;

std::span<const uint8_t> block(const Bytes& b, size_t offset) {
  return std::span<const uint8_t>(b).subspan(offset, kHandshakeSize);
}

Bytes concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// Feeds `in` to `hs` in random pieces; returns the last status and collects output.
template <typename Handshake>
HandshakeResult feedSplit(Handshake& hs, const Bytes& in, std::mt19937& rng, Bytes& output) {
  HandshakeResult r;
  size_t pos = 0;
  while (pos < in.size()) {
    size_t n = std::min<size_t>(in.size() - pos, 1 + rng() % 700);
    r = hs.feed(std::span(in).subspan(pos, n));
    auto out = hs.takeOutput();
    output.insert(output.end(), out.begin(), out.end());
    pos += n;
  }
  return r;
}

std::span<const uint8_t> fmsKeyText() {
  return hd::flashMediaServerKey().first(36);
}

}  // namespace

BOOST_AUTO_TEST_CASE(keys_are_the_published_constants) {
  auto fp = hd::flashPlayerKey();
  auto fms = hd::flashMediaServerKey();
  BOOST_TEST(fp.size() == 62u);
  BOOST_TEST(fms.size() == 68u);
  BOOST_TEST(std::string_view(reinterpret_cast<const char*>(fp.data()), 30) ==
             "Genuine Adobe Flash Player 001");
  BOOST_TEST(std::string_view(reinterpret_cast<const char*>(fms.data()), 36) ==
             "Genuine Adobe Flash Media Server 001");
  BOOST_TEST(fp[30] == 0xF0);
  BOOST_TEST(fms[36] == 0xF0);
  BOOST_TEST(fp[61] == 0xAE);
  BOOST_TEST(fms[67] == 0xAE);
}

BOOST_AUTO_TEST_CASE(digest_offsets_follow_both_schemas) {
  Bytes b(kHandshakeSize, 0);
  b[8] = 1, b[9] = 2, b[10] = 3, b[11] = 4;
  BOOST_TEST(hd::digestOffset(b, DigestSchema::Schema1) == 10u + 12u);
  b[772] = b[773] = b[774] = b[775] = 255;
  BOOST_TEST(hd::digestOffset(b, DigestSchema::Schema0) == 1020u % 728u + 776u);
  b[8] = b[9] = b[10] = b[11] = 255;
  BOOST_TEST(hd::digestOffset(b, DigestSchema::Schema1) == 1020u % 728u + 12u);
}

BOOST_AUTO_TEST_CASE(simple_round_trip) {
  ClientHandshake client(ClientHandshake::Mode::Simple);
  ServerHandshake server;
  Bytes c0c1 = client.start();
  BOOST_REQUIRE(c0c1.size() == 1537u);
  BOOST_TEST(c0c1[0] == 3);

  auto r = server.feed(c0c1);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::SendAndContinue));
  Bytes s = server.takeOutput();
  BOOST_REQUIRE(s.size() == 1u + 2 * kHandshakeSize);
  BOOST_TEST(s[0] == 3);
  BOOST_TEST(!server.digestMode());
  BOOST_TEST((s[5] | s[6] | s[7] | s[8]) == 0);  // S1 version zero
  auto s2 = block(s, 1 + kHandshakeSize);
  BOOST_TEST(std::equal(s2.begin(), s2.end(), c0c1.begin() + 1));  // S2 echoes C1

  r = client.feed(s);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
  BOOST_TEST(!client.serverDigestVerified());
  Bytes c2 = client.takeOutput();
  BOOST_REQUIRE(c2.size() == kHandshakeSize);
  auto s1 = block(s, 1);
  BOOST_TEST(std::equal(c2.begin(), c2.end(), s1.begin()));  // C2 echoes S1

  r = server.feed(c2);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
  BOOST_TEST(server.done());
  BOOST_TEST(server.takeOutput().empty());
  BOOST_TEST(server.takeLeftover().empty());
}

BOOST_AUTO_TEST_CASE(digest_round_trip_both_schemas) {
  for (auto schema : {DigestSchema::Schema0, DigestSchema::Schema1}) {
    BOOST_TEST_CONTEXT("schema " << int(schema)) {
      ClientHandshake client(ClientHandshake::Mode::Digest, schema);
      ServerHandshake server;
      Bytes c0c1 = client.start();
      BOOST_TEST(hd::hasValidDigest(block(c0c1, 1), schema, hd::flashPlayerKey().first(30)));
      auto r = server.feed(c0c1);
      BOOST_TEST(int(r.status) == int(HandshakeStatus::SendAndContinue));
      BOOST_TEST(server.digestMode());
      BOOST_TEST(int(server.schema()) == int(schema));
      Bytes s = server.takeOutput();
      BOOST_REQUIRE(s.size() == 3073u);
      BOOST_TEST(s[5] == 0x0d);
      BOOST_TEST(s[6] == 0x0e);
      BOOST_TEST(s[7] == 0x0a);
      BOOST_TEST(s[8] == 0x0d);
      BOOST_TEST(hd::hasValidDigest(block(s, 1), schema, fmsKeyText()));

      r = client.feed(s);
      BOOST_TEST(int(r.status) == int(HandshakeStatus::Done), r.reason);
      BOOST_TEST(client.serverDigestVerified());
      Bytes c2 = client.takeOutput();
      BOOST_REQUIRE(c2.size() == kHandshakeSize);
      r = server.feed(c2);
      BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
    }
  }
}

BOOST_AUTO_TEST_CASE(client_rejects_tampered_server_digest_and_signature) {
  for (size_t tamper :
       {size_t{1 + 700}, size_t{1 + kHandshakeSize + 10}, size_t{1 + 2 * kHandshakeSize - 1}}) {
    ClientHandshake client(ClientHandshake::Mode::Digest, DigestSchema::Schema1);
    ServerHandshake server;
    server.feed(client.start());
    Bytes s = server.takeOutput();
    s[tamper] ^= 0x5A;
    auto r = client.feed(s);
    BOOST_TEST(int(r.status) == int(HandshakeStatus::Error));
    BOOST_TEST(r.reason == (tamper < 1 + kHandshakeSize ? "server S1 digest invalid"
                                                        : "server S2 signature invalid"));
    BOOST_TEST(client.takeOutput().empty());
  }
}

BOOST_AUTO_TEST_CASE(invalid_digest_falls_back_to_simple) {
  ClientHandshake client(ClientHandshake::Mode::Digest, DigestSchema::Schema1);
  ServerHandshake server;
  Bytes c0c1 = client.start();
  c0c1[1 + 900] ^= 0xFF;  // breaks the digest of both schemas; version stays non-zero
  auto r = server.feed(c0c1);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::SendAndContinue));
  BOOST_TEST(!server.digestMode());
  Bytes s = server.takeOutput();
  BOOST_REQUIRE(s.size() == 3073u);
  BOOST_TEST((s[5] | s[6] | s[7] | s[8]) == 0);
  auto s2 = block(s, 1 + kHandshakeSize);
  BOOST_TEST(std::equal(s2.begin(), s2.end(), c0c1.begin() + 1));
  // A digest client accepts the simple answer and echoes S1.
  r = client.feed(s);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
  BOOST_TEST(!client.serverDigestVerified());
  BOOST_TEST(int(server.feed(client.takeOutput()).status) == int(HandshakeStatus::Done));
}

BOOST_AUTO_TEST_CASE(rejects_non_rtmp_version_byte) {
  ServerHandshake http;
  std::string_view get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  auto r = http.feed({reinterpret_cast<const uint8_t*>(get.data()), get.size()});
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Error));
  BOOST_TEST(r.reason == "not RTMP (version byte 0x47)");
  BOOST_TEST(http.takeOutput().empty());
  Bytes more(2000, 3);
  r = http.feed(more);  // stays failed
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Error));

  ServerHandshake rtmpe;  // encrypted RTMP (version 6) is not supported
  Bytes c0 = {6};
  r = rtmpe.feed(c0);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Error));
  BOOST_TEST(r.reason == "not RTMP (version byte 0x06)");

  ClientHandshake client;
  client.start();
  Bytes s0 = {0x48, 0, 0};
  r = client.feed(s0);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Error));
  BOOST_TEST(r.reason == "not RTMP (version byte 0x48)");
}

BOOST_AUTO_TEST_CASE(byte_by_byte_feeding) {
  ClientHandshake client(ClientHandshake::Mode::Digest, DigestSchema::Schema0);
  ServerHandshake server;
  Bytes c0c1 = client.start();
  for (size_t i = 0; i + 1 < c0c1.size(); ++i) {
    auto r = server.feed(std::span(c0c1).subspan(i, 1));
    BOOST_REQUIRE(int(r.status) == int(HandshakeStatus::NeedMore));
    BOOST_REQUIRE(server.takeOutput().empty());
  }
  auto r = server.feed(std::span(c0c1).last(1));
  BOOST_TEST(int(r.status) == int(HandshakeStatus::SendAndContinue));
  Bytes s = server.takeOutput();
  BOOST_TEST(server.digestMode());

  for (size_t i = 0; i < s.size(); ++i) {
    r = client.feed(std::span(s).subspan(i, 1));
    if (i + 1 < s.size()) BOOST_REQUIRE(int(r.status) == int(HandshakeStatus::NeedMore));
  }
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Done), r.reason);
  BOOST_TEST(client.serverDigestVerified());
  Bytes c2 = client.takeOutput();
  for (size_t i = 0; i < c2.size(); ++i) {
    r = server.feed(std::span(c2).subspan(i, 1));
    BOOST_REQUIRE(int(r.status) ==
                  int(i + 1 < c2.size() ? HandshakeStatus::NeedMore : HandshakeStatus::Done));
  }
}

BOOST_AUTO_TEST_CASE(random_splits_and_leftover_intact) {
  std::mt19937 rng(1234);
  for (int round = 0; round < 20; ++round) {
    ClientHandshake client(ClientHandshake::Mode::Digest,
                           round % 2 ? DigestSchema::Schema0 : DigestSchema::Schema1);
    ServerHandshake server;
    Bytes c0c1 = client.start();
    Bytes s;
    auto r = feedSplit(server, c0c1, rng, s);
    BOOST_REQUIRE(int(r.status) == int(HandshakeStatus::SendAndContinue));
    Bytes c2;
    r = feedSplit(client, s, rng, c2);
    BOOST_REQUIRE(int(r.status) == int(HandshakeStatus::Done));
    BOOST_REQUIRE(client.serverDigestVerified());

    Bytes after(1 + rng() % 3000);
    for (auto& b : after) b = static_cast<uint8_t>(rng());
    Bytes none;
    r = feedSplit(server, concat(c2, after), rng, none);
    BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
    BOOST_TEST(none.empty());
    BOOST_TEST(server.takeLeftover() == after);
  }
}

BOOST_AUTO_TEST_CASE(everything_in_one_buffer) {
  // A client that pipelines C0C1, C2 and its first chunks (C2 content is not checked).
  ServerHandshake server;
  ClientHandshake client(ClientHandshake::Mode::Simple);
  Bytes c2(kHandshakeSize, 0xAB);
  Bytes chunks = {0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x14, 0, 0, 0, 0, 0x05};
  Bytes all = concat(concat(client.start(), c2), chunks);
  auto r = server.feed(all);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::Done));
  BOOST_TEST(server.takeOutput().size() == 3073u);
  BOOST_TEST(server.takeLeftover() == chunks);
}

BOOST_AUTO_TEST_CASE(truncated_handshake_needs_more) {
  ServerHandshake server;
  ClientHandshake client(ClientHandshake::Mode::Simple);
  Bytes c0c1 = client.start();
  auto r = server.feed(std::span(c0c1).first(1000));
  BOOST_TEST(int(r.status) == int(HandshakeStatus::NeedMore));
  r = server.feed(std::span(c0c1).subspan(1000));
  BOOST_TEST(int(r.status) == int(HandshakeStatus::SendAndContinue));
  Bytes partialC2(kHandshakeSize - 1, 0);
  r = server.feed(partialC2);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::NeedMore));
  BOOST_TEST(!server.done());
  BOOST_TEST(server.takeLeftover().empty());

  ClientHandshake truncated;
  truncated.start();
  Bytes s(2000, 3);
  r = truncated.feed(s);
  BOOST_TEST(int(r.status) == int(HandshakeStatus::NeedMore));
  BOOST_TEST(!truncated.done());
  BOOST_TEST(truncated.takeOutput().empty());
}
