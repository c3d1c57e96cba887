#include "protocols/webrtc/ice_lite_agent.hpp"

#include <arpa/inet.h>

#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/loop/udp_socket.hpp"

using namespace webrtc;

namespace {

constexpr std::string_view kLocalUfrag = "lfrg";
constexpr std::string_view kLocalPwd = "local-pwd-0123456789abcd";
constexpr std::string_view kRemoteUfrag = "rfrg";
constexpr std::string_view kRemotePwd = "remote-pwd-0123456789abc";
constexpr uint64_t kTieBreaker = 0x0102030405060708u;

sockaddr_storage v4(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  if (inet_pton(AF_INET, ip, &in->sin_addr) != 1) throw std::invalid_argument(ip);
  return ss;
}

sockaddr_storage v6(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  if (inet_pton(AF_INET6, ip, &in6->sin6_addr) != 1) throw std::invalid_argument(ip);
  return ss;
}

const sockaddr_storage kPeerA = v4("192.0.2.10", 50000);
const sockaddr_storage kPeerB = v4("198.51.100.20", 60000);

IceLiteAgent makeAgent(std::string remoteUfrag = std::string(kRemoteUfrag)) {
  return IceLiteAgent(std::string(kLocalUfrag), std::string(kLocalPwd), std::move(remoteUfrag),
                      std::string(kRemotePwd));
}

std::array<uint8_t, 12> tid(uint8_t n) {
  std::array<uint8_t, 12> t{};
  t.fill(n);
  return t;
}

// What a controlling full agent (a browser) sends: USERNAME "lfrg:rfrg", our pwd.
std::vector<uint8_t> check(bool useCandidate, uint8_t n = 1,
                           std::string_view username = "lfrg:rfrg",
                           std::string_view key = kLocalPwd) {
  return stunBindingRequest(tid(n), username, key, 0x6e7f1eff, useCandidate, kTieBreaker);
}

StunMessage parsed(std::span<const uint8_t> bytes) {
  std::string error;
  auto m = StunMessage::parse(bytes, error);
  BOOST_TEST_REQUIRE(m.has_value(), error);
  return *m;
}

IceLiteAgent::Reply deliver(IceLiteAgent& agent, std::span<const uint8_t> bytes,
                            const sockaddr_storage& from, int64_t nowMs) {
  return agent.onStun(parsed(bytes), from, nowMs);
}

// The reply to a refused request: an error response with `code`, integrity only if `withIntegrity`.
void expectError(const IceLiteAgent::Reply& r, int code, bool withIntegrity) {
  BOOST_TEST(!r.valid);
  BOOST_TEST(r.error.find(std::to_string(code)) != std::string::npos, r.error);
  const StunMessage m = parsed(r.bytes);
  BOOST_TEST((m.messageClass() == StunClass::Error));
  BOOST_TEST_REQUIRE(m.errorCode().has_value());
  BOOST_TEST(*m.errorCode() == code);
  BOOST_TEST(m.fingerprintOk());
  BOOST_TEST(m.hasIntegrity() == withIntegrity);
  if (withIntegrity) BOOST_TEST(m.verifyIntegrity(kLocalPwd));
}

bool same(const std::optional<sockaddr_storage>& a, const sockaddr_storage& b) {
  return a && core::sameAddress(*a, b);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_valid_check_gets_a_signed_success_with_the_mapped_address) {
  IceLiteAgent agent = makeAgent();
  const auto r = deliver(agent, check(false, 7), kPeerA, 1000);
  BOOST_TEST(r.valid);
  BOOST_TEST(r.error.empty());
  const StunMessage m = parsed(r.bytes);
  BOOST_TEST((m.messageClass() == StunClass::Success));
  BOOST_TEST((m.transactionId() == tid(7)));
  BOOST_TEST(m.verifyIntegrity(kLocalPwd));
  BOOST_TEST(m.fingerprintOk());
  BOOST_TEST_REQUIRE(m.xorMappedAddress().has_value());
  BOOST_TEST(core::sameAddress(*m.xorMappedAddress(), kPeerA));
  // No nomination yet: the first valid check's address is used.
  BOOST_TEST(r.selectedChanged);
  BOOST_TEST(same(agent.selected(), kPeerA));
  BOOST_TEST(!agent.nominated());
}

BOOST_AUTO_TEST_CASE(ipv6_and_v4_mapped_peers_are_answered_in_their_family) {
  IceLiteAgent agent = makeAgent();
  const auto six = v6("2001:db8::7", 40000);
  const StunMessage a = parsed(deliver(agent, check(true), six, 0).bytes);
  BOOST_TEST(core::sameAddress(*a.xorMappedAddress(), six));
  const StunMessage b =
      parsed(deliver(agent, check(true), v6("::ffff:192.0.2.10", 50000), 0).bytes);
  BOOST_TEST(core::sameAddress(*b.xorMappedAddress(), kPeerA));
}

BOOST_AUTO_TEST_CASE(wrong_integrity_is_401_without_integrity) {
  IceLiteAgent agent = makeAgent();
  // Keyed with the remote password (a confused peer) instead of ours.
  expectError(deliver(agent, check(true, 1, "lfrg:rfrg", kRemotePwd), kPeerA, 0), 401, false);
  // A byte covered by the HMAC changed in flight (no FINGERPRINT to catch it first).
  const StunAttribute attrs[] = {{kStunAttrUsername, {'l', 'f', 'r', 'g', ':', 'r', 'f', 'r', 'g'}},
                                 {kStunAttrPriority, {0, 0, 0, 1}}};
  auto bytes = stunEncode(0x0001, tid(2), attrs, kLocalPwd, false);
  BOOST_TEST_REQUIRE(agent.onStun(parsed(bytes), kPeerA, 0).valid);
  bytes[43] ^= 0x01;  // PRIORITY's last byte (USERNAME 20-35, PRIORITY 36-43)
  const auto r = deliver(agent, bytes, kPeerA, 0);
  expectError(r, 401, false);
  BOOST_TEST(r.error.find("MESSAGE-INTEGRITY does not verify") != std::string::npos);
  BOOST_TEST(!agent.nominated());
}

BOOST_AUTO_TEST_CASE(a_wrong_fingerprint_is_dropped_without_answer) {
  IceLiteAgent agent = makeAgent();
  auto bytes = check(true);
  bytes.back() ^= 0x01;
  const auto r = deliver(agent, bytes, kPeerA, 0);
  BOOST_TEST(r.bytes.empty());
  BOOST_TEST(!r.valid);
  BOOST_TEST(r.error.find("FINGERPRINT") != std::string::npos);
  BOOST_TEST(!agent.selected().has_value());
}

BOOST_AUTO_TEST_CASE(usernames_follow_rfc8489_short_term_rules) {
  IceLiteAgent agent = makeAgent();
  // Not our ufrag, not the peer's, or no colon: 401 (RFC 8489 §9.1.3, unknown username).
  for (const std::string_view user : {"other:rfrg", "lfrg:other", "lfrg", "rfrg:lfrg", ""}) {
    const auto r = deliver(agent, check(true, 3, user), kPeerA, 0);
    expectError(r, 401, false);
  }
  // No USERNAME, or no MESSAGE-INTEGRITY: 400.
  const StunAttribute noUser[] = {{kStunAttrPriority, {0, 0, 0, 1}}};
  expectError(deliver(agent, stunEncode(0x0001, tid(4), noUser, kLocalPwd, true), kPeerA, 0), 400,
              false);
  expectError(deliver(agent, check(true, 5, "lfrg:rfrg", ""), kPeerA, 0), 400, false);
  BOOST_TEST(!agent.selected().has_value());
}

BOOST_AUTO_TEST_CASE(an_unknown_remote_ufrag_accepts_any_remote_part) {
  IceLiteAgent agent = makeAgent("");
  BOOST_TEST(deliver(agent, check(true, 1, "lfrg:whatever"), kPeerA, 0).valid);
  BOOST_TEST(deliver(agent, check(true, 2, "lfrg:"), kPeerA, 0).valid);
  expectError(deliver(agent, check(true, 3, "nope:whatever"), kPeerA, 0), 401, false);
  agent.setRemoteCredentials("rfrg", "pwd");
  expectError(deliver(agent, check(true, 4, "lfrg:whatever"), kPeerA, 0), 401, false);
  BOOST_TEST(deliver(agent, check(true, 5), kPeerA, 0).valid);
}

BOOST_AUTO_TEST_CASE(a_peer_claiming_controlled_gets_a_signed_487) {
  IceLiteAgent agent = makeAgent();
  const StunAttribute attrs[] = {{kStunAttrUsername, {'l', 'f', 'r', 'g', ':', 'r', 'f', 'r', 'g'}},
                                 {kStunAttrIceControlled, {1, 2, 3, 4, 5, 6, 7, 8}},
                                 {kStunAttrUseCandidate, {}}};
  const auto r = deliver(agent, stunEncode(0x0001, tid(6), attrs, kLocalPwd, true), kPeerA, 0);
  expectError(r, 487, true);
  BOOST_TEST(!agent.selected().has_value());
  // The RFC 5769 sample request claims ICE-CONTROLLED too: evtj's agent answers 487.
  const std::vector<uint8_t> sample = {
      0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
      0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e,
      0x20, 0x74, 0x65, 0x73, 0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24,
      0x00, 0x04, 0x6e, 0x00, 0x01, 0xff, 0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1,
      0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09, 0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68,
      0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14, 0x9a, 0xea, 0xa7, 0x0c,
      0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49, 0xc1, 0xb5,
      0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};
  IceLiteAgent evtj("evtj", "VOkJxbRl1RmTxUk/WvJxBt", "h6vY", "");
  const auto reply = deliver(evtj, sample, kPeerA, 0);
  BOOST_TEST(!reply.valid);
  const StunMessage m = parsed(reply.bytes);
  BOOST_TEST(*m.errorCode() == 487);
  BOOST_TEST(m.verifyIntegrity("VOkJxbRl1RmTxUk/WvJxBt"));
}

BOOST_AUTO_TEST_CASE(unknown_comprehension_required_attributes_get_420) {
  IceLiteAgent agent = makeAgent();
  const StunAttribute attrs[] = {{kStunAttrUsername, {'l', 'f', 'r', 'g', ':', 'r', 'f', 'r', 'g'}},
                                 {0x0013, {1}},            // TURN DATA: not for us
                                 {0xC057, {0, 1, 0, 0}}};  // GOOG-NETWORK-INFO: optional, ignored
  const auto r = deliver(agent, stunEncode(0x0001, tid(8), attrs, kLocalPwd, true), kPeerA, 0);
  expectError(r, 420, true);
  BOOST_TEST(r.error.find("0x0013") != std::string::npos);
  // Only the optional one: accepted.
  const StunAttribute optional[] = {
      {kStunAttrUsername, {'l', 'f', 'r', 'g', ':', 'r', 'f', 'r', 'g'}},
      {0xC057, {0, 1, 0, 0}},
      {kStunAttrIceControlling, {0, 0, 0, 0, 0, 0, 0, 1}}};
  BOOST_TEST(
      deliver(agent, stunEncode(0x0001, tid(9), optional, kLocalPwd, true), kPeerA, 0).valid);
}

BOOST_AUTO_TEST_CASE(malformed_requests_and_other_classes) {
  IceLiteAgent agent = makeAgent();
  // A PRIORITY of 3 bytes: 400 naming it.
  const StunAttribute attrs[] = {{kStunAttrUsername, {'l', 'f', 'r', 'g', ':', 'r', 'f', 'r', 'g'}},
                                 {kStunAttrPriority, {0, 0, 1}}};
  const auto bad = deliver(agent, stunEncode(0x0001, tid(1), attrs, kLocalPwd, true), kPeerA, 0);
  expectError(bad, 400, false);
  BOOST_TEST(bad.error.find("PRIORITY") != std::string::npos);
  // A request of another method: 400 of that method.
  const auto allocate = deliver(agent, stunEncode(0x0003, tid(2), {}, "", true), kPeerA, 0);
  expectError(allocate, 400, false);
  BOOST_TEST(parsed(allocate.bytes).method() == 0x003);
  // An indication (keepalive): nothing, quietly.
  const auto keepalive = deliver(agent, stunEncode(0x0011, tid(3), {}, "", true), kPeerA, 0);
  BOOST_TEST(keepalive.bytes.empty());
  BOOST_TEST(keepalive.error.empty());
  // A response (we send no requests): dropped, said.
  const auto response = deliver(agent, stunEncode(0x0101, tid(4), {}, "", true), kPeerA, 0);
  BOOST_TEST(response.bytes.empty());
  BOOST_TEST(!response.error.empty());
  BOOST_TEST(!agent.selected().has_value());
}

BOOST_AUTO_TEST_CASE(nomination_selects_and_renomination_moves) {
  IceLiteAgent agent = makeAgent();
  // Valid checks without USE-CANDIDATE: the first address holds until a nomination.
  BOOST_TEST(deliver(agent, check(false, 1), kPeerA, 0).selectedChanged);
  BOOST_TEST(same(agent.selected(), kPeerA));
  const auto other = deliver(agent, check(false, 2), kPeerB, 10);
  BOOST_TEST(other.valid);
  BOOST_TEST(!other.selectedChanged);
  BOOST_TEST(same(agent.selected(), kPeerA));
  // B nominated: selected moves to B.
  const auto nominate = deliver(agent, check(true, 3), kPeerB, 20);
  BOOST_TEST(nominate.valid);
  BOOST_TEST(nominate.selectedChanged);
  BOOST_TEST(agent.nominated());
  BOOST_TEST(same(agent.selected(), kPeerB));
  // Checks on A without USE-CANDIDATE do not move a nominated selection.
  BOOST_TEST(!deliver(agent, check(false, 4), kPeerA, 30).selectedChanged);
  BOOST_TEST(same(agent.selected(), kPeerB));
  // The same nomination again: no change reported.
  BOOST_TEST(!deliver(agent, check(true, 5), kPeerB, 40).selectedChanged);
  // A new nomination from A (network change, NAT rebinding): moves back.
  const auto moved = deliver(agent, check(true, 6), kPeerA, 50);
  BOOST_TEST(moved.selectedChanged);
  BOOST_TEST(same(agent.selected(), kPeerA));
  // A port change alone is a new address too.
  BOOST_TEST(deliver(agent, check(true, 7), v4("192.0.2.10", 50001), 60).selectedChanged);
  // A refused nomination (bad integrity) moves nothing.
  BOOST_TEST(!deliver(agent, check(true, 8, "lfrg:rfrg", "bad"), kPeerB, 70).selectedChanged);
  BOOST_TEST(same(agent.selected(), v4("192.0.2.10", 50001)));
}

BOOST_AUTO_TEST_CASE(consent_expires_without_valid_traffic_from_the_selected_address) {
  IceLiteAgent agent = makeAgent();
  BOOST_TEST(!agent.consentExpired(1'000'000));  // nothing selected: nothing to lose
  BOOST_TEST(!agent.consentDeadlineMs().has_value());
  deliver(agent, check(true), kPeerA, 1000);
  BOOST_TEST(*agent.consentDeadlineMs() == 31'000);
  BOOST_TEST(!agent.consentExpired(30'999));
  BOOST_TEST(agent.consentExpired(31'000));
  // Authenticated media from the selected address refreshes it; from elsewhere it does not.
  agent.onValidTraffic(kPeerA, 20'000);
  agent.onValidTraffic(kPeerB, 45'000);
  BOOST_TEST(!agent.consentExpired(49'999));
  BOOST_TEST(agent.consentExpired(50'000));
  // A check from elsewhere that does not nominate: no refresh either; one from A does.
  deliver(agent, check(false, 2), kPeerB, 48'000);
  BOOST_TEST(agent.consentExpired(50'000));
  deliver(agent, check(false, 3), kPeerA, 49'000);
  BOOST_TEST(!agent.consentExpired(78'999));
  BOOST_TEST(agent.consentExpired(79'000));
  // Refused checks never refresh.
  deliver(agent, check(false, 4, "lfrg:rfrg", "bad"), kPeerA, 70'000);
  BOOST_TEST(agent.consentExpired(79'000));
  // Re-nomination elsewhere: consent runs from then, for the new address.
  deliver(agent, check(true, 5), kPeerB, 100'000);
  BOOST_TEST(!agent.consentExpired(129'999));
  agent.onValidTraffic(kPeerA, 120'000);
  BOOST_TEST(agent.consentExpired(130'000));
}

BOOST_AUTO_TEST_CASE(consent_timeout_is_configurable) {
  IceLiteAgent agent(std::string(kLocalUfrag), std::string(kLocalPwd), std::string(kRemoteUfrag),
                     std::string(kRemotePwd), 5000);
  deliver(agent, check(false), kPeerA, 0);
  BOOST_TEST(!agent.consentExpired(4999));
  BOOST_TEST(agent.consentExpired(5000));
  BOOST_TEST(*agent.consentDeadlineMs() == 5000);
}

BOOST_AUTO_TEST_CASE(same_address_compares_family_address_port_and_scope) {
  BOOST_TEST(core::sameAddress(kPeerA, v4("192.0.2.10", 50000)));
  BOOST_TEST(!core::sameAddress(kPeerA, v4("192.0.2.11", 50000)));
  BOOST_TEST(!core::sameAddress(kPeerA, v4("192.0.2.10", 50001)));
  BOOST_TEST(!core::sameAddress(kPeerA, v6("::ffff:192.0.2.10", 50000)));
  BOOST_TEST(core::sameAddress(v6("fe80::1", 9), v6("fe80::1", 9)));
  auto scoped = v6("fe80::1", 9);
  reinterpret_cast<sockaddr_in6&>(scoped).sin6_scope_id = 2;
  BOOST_TEST(!core::sameAddress(v6("fe80::1", 9), scoped));
  sockaddr_storage none{};
  BOOST_TEST(!core::sameAddress(none, none));
}
