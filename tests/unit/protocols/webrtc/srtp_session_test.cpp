#include "protocols/webrtc/srtp_session.hpp"

#include <boost/test/unit_test.hpp>
#include <deque>
#include <random>

#include "protocols/webrtc/dtls_identity.hpp"
#include "protocols/webrtc/dtls_transport.hpp"
#include "protocols/webrtc/webrtc_libraries.hpp"

using webrtc::DtlsIdentity;
using webrtc::DtlsTransport;
using webrtc::SrtpKeys;
using webrtc::SrtpSession;

namespace {

using Bytes = std::vector<uint8_t>;

// libsrtp2 is set up and torn down around every test, as main does around the server.
struct SrtpFixture {
  SrtpFixture() {
    std::string error;
    libraries = webrtc::WebrtcLibraries::create(error);
    BOOST_TEST_REQUIRE(libraries != nullptr, error);
  }
  std::unique_ptr<webrtc::WebrtcLibraries> libraries;
};

struct HandshakeKeys {
  SrtpKeys client, server;
};

// Keys from a real DTLS handshake between two transports (nothing lost, so no timers).
HandshakeKeys handshakeKeys(const std::string& clientProfiles) {
  std::string error;
  auto clientId = DtlsIdentity::create(error);
  auto serverId = DtlsIdentity::create(error);
  BOOST_TEST_REQUIRE((clientId && serverId), error);
  std::deque<std::pair<bool, Bytes>> queue;
  std::string failure;
  const auto make = [&](const DtlsIdentity& self, const DtlsIdentity& peer, bool client) {
    DtlsTransport::Callbacks c;
    c.send = [&queue, client](std::span<const uint8_t> d) {
      queue.emplace_back(client, Bytes(d.begin(), d.end()));
    };
    c.armTimer = [](int64_t) {};
    c.failed = [&failure](const std::string& reason) { failure = reason; };
    webrtc::DtlsTransportOptions options;
    if (client) options.srtpProfiles = clientProfiles;
    return std::make_unique<DtlsTransport>(self, client, "sha-256", peer.fingerprint(),
                                           std::move(c), options);
  };
  auto client = make(*clientId, *serverId, true);
  auto server = make(*serverId, *clientId, false);
  server->start();
  client->start();
  while (!queue.empty()) {
    auto [fromClient, bytes] = std::move(queue.front());
    queue.pop_front();
    (fromClient ? server : client)->onDatagram(bytes);
  }
  BOOST_TEST_REQUIRE(failure == "");
  BOOST_TEST_REQUIRE(client->srtpKeys().has_value());
  BOOST_TEST_REQUIRE(server->srtpKeys().has_value());
  return {*client->srtpKeys(), *server->srtpKeys()};
}

struct SessionPair {
  std::unique_ptr<SrtpSession> client, server;
};

SessionPair sessionsFor(const std::string& clientProfiles) {
  const HandshakeKeys keys = handshakeKeys(clientProfiles);
  std::string error;
  SessionPair pair;
  pair.client = SrtpSession::create(keys.client, error);
  BOOST_TEST_REQUIRE(pair.client != nullptr, error);
  pair.server = SrtpSession::create(keys.server, error);
  BOOST_TEST_REQUIRE(pair.server != nullptr, error);
  return pair;
}

Bytes rtpPacket(uint16_t seq, uint32_t ssrc, size_t payloadBytes) {
  const uint32_t timestamp = seq * 3000u;
  Bytes p = {0x80,
             96,
             static_cast<uint8_t>(seq >> 8),
             static_cast<uint8_t>(seq),
             static_cast<uint8_t>(timestamp >> 24),
             static_cast<uint8_t>(timestamp >> 16),
             static_cast<uint8_t>(timestamp >> 8),
             static_cast<uint8_t>(timestamp),
             static_cast<uint8_t>(ssrc >> 24),
             static_cast<uint8_t>(ssrc >> 16),
             static_cast<uint8_t>(ssrc >> 8),
             static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < payloadBytes; ++i) p.push_back(static_cast<uint8_t>(seq + i));
  return p;
}

// RFC 3550 §6.4.1 sender report without report blocks (28 bytes).
Bytes rtcpSenderReport(uint32_t ssrc, uint32_t packets) {
  Bytes p = {0x80, 200, 0, 6};
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<uint8_t>(ssrc >> shift));
  for (int i = 0; i < 12; ++i) p.push_back(static_cast<uint8_t>(0x10 + i));  // NTP, RTP ts
  for (int shift = 24; shift >= 0; shift -= 8) p.push_back(static_cast<uint8_t>(packets >> shift));
  for (int i = 0; i < 4; ++i) p.push_back(0);  // octets
  return p;
}

struct ProfileCase {
  std::string clientProfiles;
  int profile;
  size_t tagBytes;
};
const ProfileCase kProfileCases[] = {
    {"SRTP_AEAD_AES_128_GCM", webrtc::kSrtpAeadAes128Gcm, 16},     // RFC 7714 §8.2
    {"SRTP_AES128_CM_SHA1_80", webrtc::kSrtpAes128CmSha1_80, 10},  // RFC 3711 §5.2
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(srtp_session, SrtpFixture)

BOOST_AUTO_TEST_CASE(libraries_report_their_versions) {
  const std::string versions = libraries->versions();
  BOOST_TEST(versions.find("libsrtp2") != std::string::npos, versions);
  BOOST_TEST(versions.find("OpenSSL 3") != std::string::npos, versions);
}

BOOST_AUTO_TEST_CASE(rtp_and_rtcp_round_trip_both_ways_for_each_profile) {
  for (const ProfileCase& c : kProfileCases) {
    BOOST_TEST_CONTEXT(webrtc::srtpProfileName(c.profile)) {
      SessionPair s = sessionsFor(c.clientProfiles);
      BOOST_TEST(s.client->profile() == c.profile);
      for (uint16_t seq = 65530; seq != 10; ++seq) {  // across the 16-bit wrap (ROC)
        const Bytes plain = rtpPacket(seq, 0x11223344, 200);
        Bytes wire = plain;
        BOOST_TEST_REQUIRE(s.client->protectRtp(wire), s.client->lastError());
        BOOST_TEST(wire.size() == plain.size() + c.tagBytes);
        BOOST_TEST(std::equal(plain.begin(), plain.begin() + 12, wire.begin()));  // header clear
        BOOST_TEST(!std::equal(plain.begin() + 12, plain.end(), wire.begin() + 12));  // payload not
        BOOST_TEST_REQUIRE(s.server->unprotectRtp(wire), s.server->lastError());
        BOOST_TEST(wire == plain);
      }
      const Bytes back = rtpPacket(7, 0x55667788, 1000);
      Bytes wire = back;
      BOOST_TEST_REQUIRE(s.server->protectRtp(wire));
      BOOST_TEST_REQUIRE(s.client->unprotectRtp(wire), s.client->lastError());
      BOOST_TEST(wire == back);

      for (uint32_t n = 1; n <= 3; ++n) {
        const Bytes report = rtcpSenderReport(0x11223344, n);
        Bytes srtcp = report;
        BOOST_TEST_REQUIRE(s.client->protectRtcp(srtcp), s.client->lastError());
        BOOST_TEST(srtcp.size() == report.size() + 4 + c.tagBytes);  // E+index, tag
        BOOST_TEST_REQUIRE(s.server->unprotectRtcp(srtcp), s.server->lastError());
        BOOST_TEST(srtcp == report);
        srtcp = report;
        BOOST_TEST_REQUIRE(s.server->protectRtcp(srtcp));
        BOOST_TEST_REQUIRE(s.client->unprotectRtcp(srtcp), s.client->lastError());
        BOOST_TEST(srtcp == report);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(in_place_protect_in_a_reused_buffer_matches_the_vector_one) {
  for (const ProfileCase& c : kProfileCases) {
    BOOST_TEST_CONTEXT(webrtc::srtpProfileName(c.profile)) {
      SessionPair a = sessionsFor(c.clientProfiles);
      // The same packets through one reused buffer of the sender: each decrypts to itself.
      Bytes buffer(1500 + SrtpSession::kTailRoom, 0xCC);
      for (uint16_t seq = 1; seq <= 20; ++seq) {
        const Bytes plain = rtpPacket(seq, 0x01020304, 100 + seq * 50);
        std::copy(plain.begin(), plain.end(), buffer.begin());
        size_t length = plain.size();
        BOOST_TEST_REQUIRE(a.client->protectRtp(buffer, length), a.client->lastError());
        BOOST_TEST(length == plain.size() + c.tagBytes);
        Bytes wire(buffer.begin(), buffer.begin() + static_cast<ptrdiff_t>(length));
        BOOST_TEST_REQUIRE(a.server->unprotectRtp(wire), a.server->lastError());
        BOOST_TEST(wire == plain);
      }
      // No room for the trailer: refused with the reason, the packet untouched.
      Bytes tight = rtpPacket(30, 0x01020304, 100);
      const Bytes before = tight;
      size_t length = tight.size() - 4;
      BOOST_TEST(!a.client->protectRtp(tight, length));
      BOOST_TEST(length == tight.size() - 4);
      BOOST_TEST(tight == before);
      BOOST_TEST(a.client->lastError().find("room") != std::string::npos, a.client->lastError());
    }
  }
}

BOOST_AUTO_TEST_CASE(each_direction_has_its_own_key) {
  SessionPair s = sessionsFor("");
  Bytes wire = rtpPacket(1, 1, 100);
  BOOST_TEST_REQUIRE(s.client->protectRtp(wire));
  BOOST_TEST(!s.client->unprotectRtp(wire));  // our own packet under the peer's key
  BOOST_TEST(s.client->lastError() == "unprotect RTP: srtp_err_status_auth_fail");
}

BOOST_AUTO_TEST_CASE(tampered_packets_are_refused) {
  for (const ProfileCase& c : kProfileCases) {
    BOOST_TEST_CONTEXT(webrtc::srtpProfileName(c.profile)) {
      SessionPair s = sessionsFor(c.clientProfiles);
      const Bytes plain = rtpPacket(1000, 42, 300);
      Bytes wire = plain;
      BOOST_TEST_REQUIRE(s.client->protectRtp(wire));
      for (const size_t at : {size_t{2} /*seq*/, size_t{20} /*payload*/, wire.size() - 1 /*tag*/}) {
        Bytes bad = wire;
        bad[at] ^= 0x04;
        BOOST_TEST(!s.server->unprotectRtp(bad));
        BOOST_TEST(s.server->lastError() == "unprotect RTP: srtp_err_status_auth_fail");
        BOOST_TEST(bad.size() == wire.size());
      }
      Bytes intact = wire;
      BOOST_TEST(s.server->unprotectRtp(intact));  // the genuine one still passes
      BOOST_TEST(intact == plain);

      Bytes srtcp = rtcpSenderReport(42, 9);
      BOOST_TEST_REQUIRE(s.client->protectRtcp(srtcp));
      srtcp[10] ^= 0x80;
      BOOST_TEST(!s.server->unprotectRtcp(srtcp));
      BOOST_TEST(s.server->lastError() == "unprotect RTCP: srtp_err_status_auth_fail");
    }
  }
}

BOOST_AUTO_TEST_CASE(replayed_packets_are_refused) {
  for (const ProfileCase& c : kProfileCases) {
    BOOST_TEST_CONTEXT(webrtc::srtpProfileName(c.profile)) {
      SessionPair s = sessionsFor(c.clientProfiles);
      Bytes wire = rtpPacket(500, 42, 100);
      BOOST_TEST_REQUIRE(s.client->protectRtp(wire));
      Bytes first = wire;
      BOOST_TEST_REQUIRE(s.server->unprotectRtp(first));
      Bytes again = wire;
      BOOST_TEST(!s.server->unprotectRtp(again));
      BOOST_TEST(s.server->lastError() == "unprotect RTP: srtp_err_status_replay_fail");

      Bytes srtcp = rtcpSenderReport(42, 1);
      BOOST_TEST_REQUIRE(s.client->protectRtcp(srtcp));
      Bytes copy = srtcp;
      BOOST_TEST_REQUIRE(s.server->unprotectRtcp(srtcp));
      BOOST_TEST(!s.server->unprotectRtcp(copy));
      BOOST_TEST(s.server->lastError() == "unprotect RTCP: srtp_err_status_replay_fail");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_nack_resend_of_the_same_packet_is_allowed) {
  for (const ProfileCase& c : kProfileCases) {
    BOOST_TEST_CONTEXT(webrtc::srtpProfileName(c.profile)) {
      SessionPair s = sessionsFor(c.clientProfiles);
      const Bytes lostPlain = rtpPacket(100, 42, 500);
      Bytes lost = lostPlain;
      BOOST_TEST_REQUIRE(s.client->protectRtp(lost));  // sent, lost on the way
      for (uint16_t seq = 101; seq < 140; ++seq) {     // later packets arrive
        Bytes wire = rtpPacket(seq, 42, 500);
        BOOST_TEST_REQUIRE(s.client->protectRtp(wire));
        BOOST_TEST_REQUIRE(s.server->unprotectRtp(wire));
      }
      // The receiver NACKs 100; the sender protects the stored packet again.
      Bytes resend = lostPlain;
      BOOST_TEST_REQUIRE(s.client->protectRtp(resend), s.client->lastError());
      BOOST_TEST(resend == lost);  // same index, same keystream: the same bytes
      BOOST_TEST_REQUIRE(s.server->unprotectRtp(resend), s.server->lastError());
      BOOST_TEST(resend == lostPlain);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_keys_are_refused_with_the_reason) {
  std::string error;
  SrtpKeys keys{2, Bytes(30, 1), Bytes(30, 2)};  // SRTP_AES128_CM_SHA1_32: not ours
  BOOST_TEST(SrtpSession::create(keys, error) == nullptr);
  BOOST_TEST(error.find("unsupported protection profile 2") != std::string::npos, error);
  keys = {webrtc::kSrtpAes128CmSha1_80, Bytes(28, 1), Bytes(30, 2)};
  BOOST_TEST(SrtpSession::create(keys, error) == nullptr);
  BOOST_TEST(error.find("needs 30-byte key+salt, got 28 local") != std::string::npos, error);
  keys = {webrtc::kSrtpAeadAes128Gcm, Bytes(28, 1), Bytes(30, 2)};
  BOOST_TEST(SrtpSession::create(keys, error) == nullptr);
  BOOST_TEST(error.find("needs 28-byte") != std::string::npos, error);
}

BOOST_AUTO_TEST_CASE(short_long_and_random_packets_are_refused_without_a_crash) {
  SessionPair s = sessionsFor("");
  Bytes tiny(11, 0x80);
  BOOST_TEST(!s.client->protectRtp(tiny));
  BOOST_TEST(s.client->lastError() == "protect RTP: 11 bytes (outside 12..65536)");
  Bytes huge(SrtpSession::kMaxPacketBytes + 1, 0x80);
  BOOST_TEST(!s.server->unprotectRtp(huge));
  BOOST_TEST(huge.size() == SrtpSession::kMaxPacketBytes + 1);
  Bytes shortRtcp(7, 0x80);
  BOOST_TEST(!s.server->unprotectRtcp(shortRtcp));
  // 15 CSRCs announced in a 20-byte packet.
  Bytes lying = rtpPacket(1, 1, 8);
  lying[0] = 0x8F;
  BOOST_TEST(!s.client->protectRtp(lying));
  BOOST_TEST(s.client->lastError() == "protect RTP: srtp_err_status_bad_param");

  std::mt19937 rng(3711);
  int refused = 0;
  for (int i = 0; i < 2000; ++i) {
    Bytes noise(rng() % 300);
    for (uint8_t& b : noise) b = static_cast<uint8_t>(rng());
    if (!noise.empty()) noise[0] = static_cast<uint8_t>(0x80 | (noise[0] & 0x3F));
    Bytes copy = noise;
    refused += !s.server->unprotectRtp(noise);
    refused += !s.server->unprotectRtcp(copy);
    Bytes out = noise;
    s.client->protectRtp(out);  // may pass (any header is RTP to libsrtp2); must not crash
  }
  BOOST_TEST(refused == 4000);
}

BOOST_AUTO_TEST_SUITE_END()
