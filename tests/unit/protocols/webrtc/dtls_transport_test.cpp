#include "protocols/webrtc/dtls_transport.hpp"

#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <deque>
#include <ostream>
#include <random>
#include <thread>

#include "protocols/webrtc/dtls_identity.hpp"

namespace webrtc {
std::ostream& operator<<(std::ostream& out, DtlsTransport::State state) {
  constexpr const char* kNames[] = {"New", "Handshaking", "Connected", "Closed", "Failed"};
  return out << kNames[static_cast<int>(state)];
}
}  // namespace webrtc

using webrtc::DtlsIdentity;
using webrtc::DtlsTransport;
using webrtc::DtlsTransportOptions;

namespace {

using Clock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;

std::unique_ptr<DtlsIdentity> makeIdentity() {
  std::string error;
  auto identity = DtlsIdentity::create(error);
  BOOST_TEST_REQUIRE(identity != nullptr, error);
  return identity;
}

// An RSA-4096 identity: its certificate (~1.2 KB of DER) does not fit one datagram.
std::unique_ptr<DtlsIdentity> makeRsaIdentity() {
  EVP_PKEY* key = EVP_RSA_gen(4096);
  BOOST_TEST_REQUIRE(key != nullptr);
  std::string error;
  auto identity = DtlsIdentity::createWithKey(key, error);
  EVP_PKEY_free(key);
  BOOST_TEST_REQUIRE(identity != nullptr, error);
  return identity;
}

// The records of one datagram (RFC 6347 §4.1 headers); 0 if they do not tile it exactly.
size_t recordCount(const Bytes& datagram) {
  size_t at = 0;
  size_t count = 0;
  while (at + 13 <= datagram.size()) {
    at += 13 + (static_cast<size_t>(datagram[at + 11]) << 8 | datagram[at + 12]);
    ++count;
  }
  return at == datagram.size() ? count : 0;
}

bool isClientHello(const Bytes& d) {
  return d.size() > 25 && d[0] == 22 && d[13] == 1;
}

struct Endpoint {
  std::unique_ptr<DtlsTransport> transport;
  std::optional<Clock::time_point> timerDue;
  std::vector<int64_t> timerDelays;
  bool connected = false;
  bool closed = false;
  std::string failure;
  std::vector<Bytes> received;
  std::vector<Bytes> sent;  // every datagram it emitted, in order

  size_t largestDatagram() const {
    size_t largest = 0;
    for (const Bytes& d : sent) largest = std::max(largest, d.size());
    return largest;
  }
};

struct PairSetup {
  DtlsTransportOptions clientOptions, serverOptions;
  // What each side's SDP told it about the other; empty: the other's real sha-256.
  std::string clientSeesAlg = "sha-256", clientSeesFingerprint;
  std::string serverSeesAlg = "sha-256", serverSeesFingerprint;
};

// A client and a server transport wired through one in-memory queue (no re-entry: a
// datagram is delivered after the call that sent it returned). `drop` loses or edits them.
class DtlsPair {
 public:
  DtlsPair(const DtlsIdentity& clientId, const DtlsIdentity& serverId, PairSetup setup = {}) {
    if (setup.clientSeesFingerprint.empty()) setup.clientSeesFingerprint = serverId.fingerprint();
    if (setup.serverSeesFingerprint.empty()) setup.serverSeesFingerprint = clientId.fingerprint();
    client.transport = std::make_unique<DtlsTransport>(
        clientId, true, setup.clientSeesAlg, setup.clientSeesFingerprint, callbacks(client, true),
        setup.clientOptions);
    server.transport = std::make_unique<DtlsTransport>(
        serverId, false, setup.serverSeesAlg, setup.serverSeesFingerprint, callbacks(server, false),
        setup.serverOptions);
  }
  DtlsPair(const DtlsPair&) = delete;

  void start() {
    server.transport->start();
    client.transport->start();
  }

  // Delivers queued datagrams; when none are left, sleeps until the earliest armed timer
  // and fires it. Returns when both are connected, one failed, or nothing is pending.
  void run(Clock::duration budget = std::chrono::seconds(10)) {
    const auto end = Clock::now() + budget;
    while (Clock::now() < end) {
      if (!queue.empty()) {
        auto [fromClient, bytes] = std::move(queue.front());
        queue.pop_front();
        if (drop && drop(fromClient, bytes)) continue;
        (fromClient ? server : client).transport->onDatagram(bytes);
        continue;
      }
      if ((client.connected && server.connected) || !client.failure.empty() ||
          !server.failure.empty()) {
        return;
      }
      Endpoint* next = nullptr;
      for (Endpoint* e : {&client, &server}) {
        if (e->timerDue && (!next || *e->timerDue < *next->timerDue)) next = e;
      }
      if (!next) return;
      std::this_thread::sleep_until(*next->timerDue);
      next->timerDue.reset();
      next->transport->onTimer();
    }
  }

  Endpoint client, server;
  std::deque<std::pair<bool, Bytes>> queue;
  std::function<bool(bool fromClient, Bytes& datagram)> drop;  // true: lost; may edit

 private:
  DtlsTransport::Callbacks callbacks(Endpoint& e, bool isClient) {
    DtlsTransport::Callbacks c;
    c.send = [this, &e, isClient](std::span<const uint8_t> d) {
      e.sent.emplace_back(d.begin(), d.end());
      queue.emplace_back(isClient, e.sent.back());
    };
    c.armTimer = [&e](int64_t ms) {
      if (ms < 0) {
        e.timerDue.reset();
        return;
      }
      e.timerDue = Clock::now() + std::chrono::milliseconds(ms);
      e.timerDelays.push_back(ms);
    };
    c.connected = [&e] { e.connected = true; };
    c.failed = [&e](const std::string& reason) { e.failure = reason; };
    c.received = [&e](std::span<const uint8_t> d) { e.received.emplace_back(d.begin(), d.end()); };
    c.closed = [&e] { e.closed = true; };
    return c;
  }
};

void requireConnected(DtlsPair& pair) {
  BOOST_TEST_REQUIRE(pair.client.failure == "");
  BOOST_TEST_REQUIRE(pair.server.failure == "");
  BOOST_TEST_REQUIRE(pair.client.connected);
  BOOST_TEST_REQUIRE(pair.server.connected);
}

Bytes randomBytes(std::mt19937& rng, size_t size) {
  Bytes out(size);
  for (uint8_t& b : out) b = static_cast<uint8_t>(rng());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(identity_is_a_self_signed_p256_certificate_with_its_sha256_fingerprint) {
  auto identity = makeIdentity();
  X509* cert = identity->certificate();
  // 32 upper-case hex pairs joined by colons.
  const std::string& fp = identity->fingerprint();
  BOOST_TEST_REQUIRE(fp.size() == 32u * 3 - 1);
  for (size_t i = 0; i < fp.size(); ++i) {
    const bool ok = i % 3 == 2 ? fp[i] == ':' : std::isxdigit(fp[i]) && !std::islower(fp[i]);
    BOOST_TEST(ok, fp);
  }
  // Recompute the digest independently: SHA-256 of the DER.
  unsigned char* der = nullptr;
  const int derSize = i2d_X509(cert, &der);
  BOOST_TEST_REQUIRE(derSize > 0);
  unsigned char digest[32];
  unsigned int digestSize = 0;
  BOOST_TEST_REQUIRE(EVP_Digest(der, derSize, digest, &digestSize, EVP_sha256(), nullptr) == 1);
  OPENSSL_free(der);
  std::string expected;
  for (unsigned int i = 0; i < digestSize; ++i) {
    char pair[4];
    std::snprintf(pair, sizeof pair, i ? ":%02X" : "%02X", digest[i]);
    expected += pair;
  }
  BOOST_TEST(fp == expected);

  EVP_PKEY* key = X509_get0_pubkey(cert);
  BOOST_TEST(EVP_PKEY_is_a(key, "EC"));
  char group[32] = {};
  size_t groupSize = 0;
  BOOST_TEST(EVP_PKEY_get_group_name(key, group, sizeof group, &groupSize) == 1);
  BOOST_TEST(std::string(group) == "prime256v1");
  BOOST_TEST(X509_verify(cert, key) == 1);  // self-signed
  BOOST_TEST(X509_cmp_current_time(X509_get0_notBefore(cert)) < 0);
  BOOST_TEST(X509_cmp_current_time(X509_get0_notAfter(cert)) > 0);
  char cn[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  BOOST_TEST(std::string(cn) == "roomcast");
  // Two identities: different keys, serials and fingerprints.
  auto other = makeIdentity();
  BOOST_TEST(other->fingerprint() != identity->fingerprint());
  BOOST_TEST(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert),
                              X509_get0_serialNumber(other->certificate())) != 0);
}

BOOST_AUTO_TEST_CASE(handshake_connects_with_equal_srtp_keys_for_each_profile) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  struct Case {
    std::string clientProfiles;
    int expected;
    size_t keySaltBytes;
  };
  std::vector<Bytes> earlierKeys;
  for (const Case& c :
       {Case{"", webrtc::kSrtpAeadAes128Gcm, 28},
        Case{"SRTP_AES128_CM_SHA1_80", webrtc::kSrtpAes128CmSha1_80, 30},
        Case{"SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM", webrtc::kSrtpAeadAes128Gcm, 28}}) {
    BOOST_TEST_CONTEXT("client offers \"" << c.clientProfiles << "\"") {
      PairSetup setup;
      setup.clientOptions.srtpProfiles = c.clientProfiles;
      DtlsPair pair(*clientId, *serverId, setup);
      BOOST_TEST(!pair.client.transport->srtpKeys().has_value());
      pair.start();
      pair.run();
      requireConnected(pair);
      const auto clientKeys = pair.client.transport->srtpKeys();
      const auto serverKeys = pair.server.transport->srtpKeys();
      BOOST_TEST_REQUIRE(clientKeys.has_value());
      BOOST_TEST_REQUIRE(serverKeys.has_value());
      BOOST_TEST(clientKeys->profile == c.expected);
      BOOST_TEST(serverKeys->profile == c.expected);
      BOOST_TEST(clientKeys->localKeySalt.size() == c.keySaltBytes);
      BOOST_TEST(clientKeys->localKeySalt == serverKeys->remoteKeySalt);
      BOOST_TEST(clientKeys->remoteKeySalt == serverKeys->localKeySalt);
      BOOST_TEST(clientKeys->localKeySalt != clientKeys->remoteKeySalt);
      // Fresh keys every handshake.
      for (const Bytes& k : earlierKeys) BOOST_TEST(k != clientKeys->localKeySalt);
      earlierKeys.push_back(clientKeys->localKeySalt);
      BOOST_TEST(pair.client.transport->summary().find("DTLSv1.2") == 0);
      BOOST_TEST(pair.server.transport->summary().find(webrtc::srtpProfileName(c.expected)) !=
                 std::string::npos);
      BOOST_TEST(pair.client.largestDatagram() <= 1200u);
      BOOST_TEST(pair.server.largestDatagram() <= 1200u);
      // No retransmission timer is left running once both are connected.
      BOOST_TEST(!pair.client.timerDue.has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(every_datagram_fits_the_mtu_also_with_big_certificates) {
  auto ecdsa = makeIdentity();
  auto rsa = makeRsaIdentity();
  // The Certificate message (record and handshake headers, two 3-byte lengths) cannot
  // fit in one 1200-byte datagram: OpenSSL must fragment it.
  BOOST_TEST_REQUIRE(i2d_X509(rsa->certificate(), nullptr) + 13 + 12 + 6 > 1200);
  struct Case {
    const DtlsIdentity* client;
    const DtlsIdentity* server;
    size_t mtu;
  };
  for (const Case& c : {Case{rsa.get(), rsa.get(), 1200}, Case{ecdsa.get(), rsa.get(), 1200},
                        Case{rsa.get(), ecdsa.get(), 1200}, Case{ecdsa.get(), ecdsa.get(), 256},
                        Case{rsa.get(), rsa.get(), 576}}) {
    BOOST_TEST_CONTEXT("mtu " << c.mtu << (c.client == rsa.get() ? " rsa" : " ecdsa") << " client, "
                              << (c.server == rsa.get() ? "rsa" : "ecdsa") << " server") {
      PairSetup setup;
      setup.clientOptions.mtu = c.mtu;
      setup.serverOptions.mtu = c.mtu;
      DtlsPair pair(*c.client, *c.server, setup);
      pair.start();
      pair.run();
      requireConnected(pair);
      size_t packed = 0;   // datagrams that carry several records
      size_t largest = 0;  // the most one side sent: its certificate's flight
      for (const Endpoint* e : {&pair.client, &pair.server}) {
        size_t bytes = 0;
        for (const Bytes& d : e->sent) {
          BOOST_TEST(d.size() <= c.mtu);
          BOOST_TEST(recordCount(d) > 0u);  // cut between records only
          if (recordCount(d) > 1) ++packed;
          bytes += d.size();
        }
        largest = std::max(largest, bytes);
      }
      BOOST_TEST(largest > c.mtu);  // a flight needed several datagrams
      BOOST_TEST(packed > 0u);      // and small records still share one
    }
  }
}

BOOST_AUTO_TEST_CASE(lost_client_hello_is_sent_again_by_the_timer) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  PairSetup setup;
  setup.clientOptions.initialRetransmitMs = 20;
  DtlsPair pair(*clientId, *serverId, setup);
  bool dropped = false;
  pair.drop = [&](bool fromClient, Bytes& d) {
    if (!fromClient || dropped || !isClientHello(d)) return false;
    dropped = true;
    return true;
  };
  pair.start();
  BOOST_TEST_REQUIRE(pair.client.timerDelays.size() == 1u);
  BOOST_TEST(pair.client.timerDelays[0] > 0);
  BOOST_TEST(pair.client.timerDelays[0] <= 20);
  pair.run();
  BOOST_TEST(dropped);
  requireConnected(pair);
  BOOST_TEST_REQUIRE(pair.client.sent.size() >= 2u);
  BOOST_TEST(isClientHello(pair.client.sent[0]));
  BOOST_TEST(isClientHello(pair.client.sent[1]));  // the retransmission
}

BOOST_AUTO_TEST_CASE(lost_server_flight_is_sent_again_by_the_timer) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  PairSetup setup;
  setup.clientOptions.initialRetransmitMs = 20;
  setup.serverOptions.initialRetransmitMs = 20;
  DtlsPair pair(*clientId, *serverId, setup);
  size_t dropped = 0;
  pair.drop = [&](bool fromClient, Bytes&) {
    // Everything the server says before the client's second datagram is lost.
    if (fromClient || pair.client.sent.size() > 1) return false;
    ++dropped;
    return true;
  };
  pair.start();
  pair.run();
  BOOST_TEST(dropped > 0u);
  requireConnected(pair);
}

// The server is done once it sent its Finished; if that is lost the client sends its last
// flight again, and the connected server must answer it with its own again (RFC 6347
// §4.2.4), from the application-data path.
BOOST_AUTO_TEST_CASE(lost_final_server_flight_is_sent_again_when_the_client_repeats) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  PairSetup setup;
  setup.clientOptions.initialRetransmitMs = 20;
  DtlsPair pair(*clientId, *serverId, setup);
  size_t dropped = 0;
  size_t serverSentWhenDone = 0;
  pair.drop = [&](bool fromClient, Bytes&) {
    if (fromClient || !pair.server.connected || dropped > 0) return false;
    serverSentWhenDone = pair.server.sent.size();
    ++dropped;
    return true;
  };
  pair.start();
  pair.run();
  BOOST_TEST(dropped == 1u);
  requireConnected(pair);
  BOOST_TEST(pair.server.sent.size() > serverSentWhenDone);  // it answered the repeat
  // Application data still flows after the repair.
  const Bytes ping = {'p'};
  BOOST_TEST_REQUIRE(pair.client.transport->send(ping));
  pair.run();
  BOOST_TEST(pair.server.received.size() == 1u);
}

BOOST_AUTO_TEST_CASE(handshake_that_never_finishes_fails_with_a_timeout) {
  auto identity = makeIdentity();
  // A server that never hears from its client.
  {
    PairSetup setup;
    setup.serverOptions.handshakeTimeoutMs = 60;
    DtlsPair pair(*identity, *identity, setup);
    pair.server.transport->start();
    BOOST_TEST_REQUIRE(pair.server.timerDue.has_value());
    BOOST_TEST(pair.server.timerDelays.back() <= 60);
    pair.run();
    BOOST_TEST(pair.server.failure.find("handshake timeout") != std::string::npos,
               pair.server.failure);
    BOOST_TEST(pair.server.transport->state() == DtlsTransport::State::Failed);
    BOOST_TEST(!pair.server.timerDue.has_value());
  }
  // A client whose every datagram is lost: retransmits with doubling delays, then fails.
  {
    PairSetup setup;
    setup.clientOptions.initialRetransmitMs = 20;
    setup.clientOptions.handshakeTimeoutMs = 250;
    DtlsPair pair(*identity, *identity, setup);
    pair.drop = [](bool, Bytes&) { return true; };
    pair.client.transport->start();
    pair.run();
    BOOST_TEST(pair.client.failure.find("handshake timeout") != std::string::npos,
               pair.client.failure);
    BOOST_TEST(pair.client.sent.size() >= 3u);  // 0, 20, 60, 140 ms: the first and retries
    for (const Bytes& d : pair.client.sent) BOOST_TEST(isClientHello(d));
    BOOST_TEST_REQUIRE(pair.client.timerDelays.size() >= 3u);
    BOOST_TEST(pair.client.timerDelays[1] > pair.client.timerDelays[0]);  // backoff
  }
}

BOOST_AUTO_TEST_CASE(fingerprint_mismatch_fails_with_the_reason) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  auto stranger = makeIdentity();
  {
    PairSetup setup;  // the server was told someone else's fingerprint
    setup.serverSeesFingerprint = stranger->fingerprint();
    DtlsPair pair(*clientId, *serverId, setup);
    pair.start();
    pair.run();
    BOOST_TEST(pair.server.failure.find("fingerprint mismatch") != std::string::npos,
               pair.server.failure);
    BOOST_TEST(pair.server.failure.find(clientId->fingerprint()) != std::string::npos);
    BOOST_TEST(!pair.server.connected);
    BOOST_TEST(!pair.server.transport->srtpKeys().has_value());
  }
  {
    PairSetup setup;  // the client was
    setup.clientSeesFingerprint = stranger->fingerprint();
    DtlsPair pair(*clientId, *serverId, setup);
    pair.start();
    pair.run();
    BOOST_TEST(pair.client.failure.find("fingerprint mismatch") != std::string::npos,
               pair.client.failure);
    BOOST_TEST(!pair.client.connected);
  }
}

BOOST_AUTO_TEST_CASE(fingerprint_in_any_case_and_other_digests_is_accepted) {
  auto clientId = makeIdentity();
  auto serverId = makeIdentity();
  for (const std::string alg : {"sha-1", "SHA-256", "sha-384", "sha-512"}) {
    BOOST_TEST_CONTEXT(alg) {
      PairSetup setup;
      setup.clientSeesAlg = alg;
      setup.clientSeesFingerprint =
          webrtc::dtlsCertificateFingerprint(serverId->certificate(), alg).value();
      setup.serverSeesAlg = alg;
      std::string lower = webrtc::dtlsCertificateFingerprint(clientId->certificate(), alg).value();
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      setup.serverSeesFingerprint = lower;
      DtlsPair pair(*clientId, *serverId, setup);
      pair.start();
      pair.run();
      requireConnected(pair);
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_sdp_fingerprint_fails_at_start) {
  auto identity = makeIdentity();
  struct Case {
    std::string alg, fingerprint, reason;
  };
  for (const Case& c :
       {Case{"md5", "AB:CD", "unsupported fingerprint algorithm"},
        Case{"sha-256", "AB:CD", "malformed"}, Case{"sha-256", std::string(95, 'A'), "malformed"},
        Case{"sha-1", identity->fingerprint(), "malformed"}}) {  // 32 bytes for a 20-byte digest
    BOOST_TEST_CONTEXT(c.alg << " " << c.fingerprint) {
      PairSetup setup;
      setup.serverSeesAlg = c.alg;
      setup.serverSeesFingerprint = c.fingerprint;
      DtlsPair pair(*identity, *identity, setup);
      pair.server.transport->start();
      BOOST_TEST(pair.server.failure.find(c.reason) != std::string::npos, pair.server.failure);
      BOOST_TEST(pair.server.transport->state() == DtlsTransport::State::Failed);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_fatal_alert_fails_both_sides_with_openssl_reason) {
  auto identity = makeIdentity();
  DtlsPair pair(*identity, *identity);
  // Give the ClientHello an odd cipher_suites length (RFC 5246 §7.4.1.2: two bytes each):
  // the server must refuse it with a decode_error alert.
  pair.drop = [](bool fromClient, Bytes& bytes) {
    if (!fromClient || !isClientHello(bytes)) return false;
    size_t at = 13 + 12 + 2 + 32;  // record header, handshake header, version, random
    at += 1 + bytes[at];           // session_id
    at += 1 + bytes[at];           // cookie
    bytes[at] = 0;
    bytes[at + 1] = 3;
    return false;
  };
  pair.client.transport->start();
  pair.server.transport->start();
  pair.run();
  BOOST_TEST(pair.server.failure.find("DTLS handshake: error:") == 0u, pair.server.failure);
  BOOST_TEST(pair.client.failure.find("alert") != std::string::npos, pair.client.failure);
  BOOST_TEST(!pair.client.connected);
}

BOOST_AUTO_TEST_CASE(application_data_flows_both_ways_and_close_notify_ends_it) {
  auto identity = makeIdentity();
  DtlsPair pair(*identity, *identity);
  const Bytes hello = {'h', 'e', 'l', 'l', 'o'};
  BOOST_TEST(!pair.client.transport->send(hello));  // not connected yet
  pair.start();
  pair.run();
  requireConnected(pair);
  BOOST_TEST(pair.client.transport->dataMtu() > 1000u);
  BOOST_TEST(pair.client.transport->dataMtu() < 1200u);
  BOOST_TEST(pair.client.transport->send(hello));
  const Bytes big(pair.server.transport->dataMtu(), 0x5A);
  BOOST_TEST(pair.server.transport->send(big));
  BOOST_TEST(!pair.server.transport->send(Bytes(DtlsTransport::kMaxApplicationBytes + 1, 1)));
  BOOST_TEST(!pair.server.transport->send(Bytes{}));
  pair.run();
  BOOST_TEST_REQUIRE(pair.server.received.size() == 1u);
  BOOST_TEST(pair.server.received[0] == hello);
  BOOST_TEST_REQUIRE(pair.client.received.size() == 1u);
  BOOST_TEST(pair.client.received[0] == big);
  BOOST_TEST(pair.server.sent.back().size() <= 1200u);  // dataMtu() bytes fit one datagram

  pair.client.transport->close();
  BOOST_TEST(pair.client.transport->state() == DtlsTransport::State::Closed);
  BOOST_TEST(!pair.client.transport->send(hello));
  pair.run();
  BOOST_TEST(pair.server.closed);
  BOOST_TEST(pair.server.failure == "");
  BOOST_TEST(pair.server.transport->state() == DtlsTransport::State::Closed);
  BOOST_TEST(!pair.server.transport->send(hello));
}

BOOST_AUTO_TEST_CASE(garbage_before_the_handshake_never_crashes) {
  auto identity = makeIdentity();
  // A real ClientHello to cut.
  Bytes clientHello;
  {
    DtlsPair pair(*identity, *identity);
    pair.client.transport->start();
    BOOST_TEST_REQUIRE(pair.client.sent.size() == 1u);
    clientHello = pair.client.sent[0];
  }
  std::mt19937 rng(17);
  size_t failed = 0;
  for (size_t len = 0; len <= clientHello.size() + 1; ++len) {
    DtlsPair pair(*identity, *identity);
    pair.server.transport->start();
    Bytes cut(clientHello.begin(), clientHello.begin() + std::min(len, clientHello.size()));
    if (len > clientHello.size()) cut = randomBytes(rng, 300);  // and one of noise
    pair.server.transport->onDatagram(cut);
    if (!pair.server.failure.empty()) ++failed;
    // Whatever the cut did, the server either failed with a reason or still takes the real
    // ClientHello and answers it.
    if (pair.server.failure.empty()) {
      pair.server.transport->onDatagram(clientHello);
      BOOST_TEST((!pair.server.sent.empty() || !pair.server.failure.empty()));
    }
  }
  BOOST_TEST_MESSAGE("truncated ClientHellos that failed the server: " << failed);
  for (int i = 0; i < 300; ++i) {
    DtlsPair pair(*identity, *identity);
    pair.server.transport->start();
    for (int j = 0; j < 5; ++j) {
      Bytes noise = randomBytes(rng, 1 + rng() % 1500);
      noise[0] = static_cast<uint8_t>(20 + rng() % 44);  // what the demux calls DTLS
      if (j % 2) noise[1] = 0xFE;                        // DTLS 1.x version bytes
      pair.server.transport->onDatagram(noise);
      if (!pair.server.failure.empty()) break;
    }
  }
}

BOOST_AUTO_TEST_CASE(garbage_after_the_handshake_is_dropped_and_the_link_survives) {
  auto identity = makeIdentity();
  DtlsPair pair(*identity, *identity);
  pair.start();
  pair.run();
  requireConnected(pair);
  const Bytes hello = {1, 2, 3};
  BOOST_TEST_REQUIRE(pair.client.transport->send(hello));
  const Bytes record = pair.queue.back().second;  // a real application-data record
  pair.queue.clear();
  std::mt19937 rng(7);
  for (int i = 0; i < 500; ++i) {
    Bytes noise = randomBytes(rng, 1 + rng() % 1400);
    noise[0] = static_cast<uint8_t>(20 + rng() % 44);
    if (i % 3 == 0 && noise.size() > 3) {
      noise[1] = 0xFE;  // DTLS 1.2
      noise[2] = 0xFD;
    }
    pair.server.transport->onDatagram(noise);
    pair.client.transport->onDatagram(noise);
  }
  for (size_t len = 1; len < record.size(); ++len) {
    pair.server.transport->onDatagram(std::span(record).first(len));
  }
  Bytes flipped = record;
  flipped.back() ^= 0x01;  // AEAD tag: the record fails its check
  pair.server.transport->onDatagram(flipped);
  pair.server.transport->onDatagram(Bytes{});
  pair.server.transport->onDatagram(Bytes(DtlsTransport::kMaxDatagramBytes + 1, 23));
  BOOST_TEST(pair.server.transport->ignoredDatagrams() == 2u);
  BOOST_TEST(pair.server.received.empty());
  BOOST_TEST(pair.server.failure == "");
  BOOST_TEST(pair.client.failure == "");
  BOOST_TEST(pair.server.transport->state() == DtlsTransport::State::Connected);
  // Still a working link both ways.
  BOOST_TEST_REQUIRE(pair.client.transport->send(hello));
  BOOST_TEST_REQUIRE(pair.server.transport->send(hello));
  pair.run();
  BOOST_TEST_REQUIRE(pair.server.received.size() == 1u);
  BOOST_TEST(pair.server.received[0] == hello);
  BOOST_TEST(pair.client.received.size() == 1u);
}
