#include "protocols/webrtc/stun_message.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace webrtc;

namespace {

// RFC 5769 §2.1-§2.3, byte for byte (the RFC's password for all three).
constexpr std::string_view kVectorPassword = "VOkJxbRl1RmTxUk/WvJxBt";
const std::vector<uint8_t> kSampleRequest = {
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf};
const std::vector<uint8_t> kSampleIpv4Response = {
    0x01, 0x01, 0x00, 0x3c, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x08, 0x00, 0x01, 0xa1, 0x47, 0xe1, 0x12, 0xa6, 0x43,
    0x00, 0x08, 0x00, 0x14, 0x2b, 0x91, 0xf5, 0x99, 0xfd, 0x9e, 0x90, 0xc3, 0x8c, 0x74, 0x89, 0xf9,
    0x2a, 0xf9, 0xba, 0x53, 0xf0, 0x6b, 0xe7, 0xd7, 0x80, 0x28, 0x00, 0x04, 0xc0, 0x7d, 0x4c, 0x96};
const std::vector<uint8_t> kSampleIpv6Response = {
    0x01, 0x01, 0x00, 0x48, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x0b, 0x74, 0x65, 0x73, 0x74, 0x20, 0x76, 0x65, 0x63,
    0x74, 0x6f, 0x72, 0x20, 0x00, 0x20, 0x00, 0x14, 0x00, 0x02, 0xa1, 0x47, 0x01, 0x13, 0xa9, 0xfa,
    0xa5, 0xd3, 0xf1, 0x79, 0xbc, 0x25, 0xf4, 0xb5, 0xbe, 0xd2, 0xb9, 0xd9, 0x00, 0x08, 0x00, 0x14,
    0xa3, 0x82, 0x95, 0x4e, 0x4b, 0xe6, 0x7b, 0xf1, 0x17, 0x84, 0xc9, 0x7c, 0x82, 0x92, 0xc2, 0x75,
    0xbf, 0xe3, 0xed, 0x41, 0x80, 0x28, 0x00, 0x04, 0xc8, 0xfb, 0x0b, 0x4c};
constexpr std::array<uint8_t, 12> kVectorTid = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                                0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

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

std::string addressText(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(ss);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(ntohs(in.sin_port));
  }
  const auto& in6 = reinterpret_cast<const sockaddr_in6&>(ss);
  inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
  return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6.sin6_port));
}

StunMessage mustParse(std::span<const uint8_t> bytes) {
  std::string error;
  auto m = StunMessage::parse(bytes, error);
  BOOST_TEST_REQUIRE(m.has_value(), "parse failed: " << error);
  BOOST_TEST(error.empty());
  return *m;
}

std::string mustFail(std::span<const uint8_t> bytes) {
  std::string error;
  const auto m = StunMessage::parse(bytes, error);
  BOOST_TEST(!m.has_value());
  BOOST_TEST(!error.empty());
  return error;
}

std::vector<uint8_t> be(uint64_t v, size_t n) {
  std::vector<uint8_t> out(n);
  for (size_t i = n; i-- > 0; v >>= 8) out[i] = v & 0xFF;
  return out;
}

std::vector<uint8_t> text(std::string_view s) {
  return {s.begin(), s.end()};
}

// A header with a correct length around raw attribute bytes (no integrity, no fingerprint).
std::vector<uint8_t> rawMessage(uint16_t type, const std::vector<uint8_t>& attributes) {
  std::vector<uint8_t> out = be(type, 2);
  const auto len = be(attributes.size(), 2);
  out.insert(out.end(), len.begin(), len.end());
  const auto cookie = be(kStunMagicCookie, 4);
  out.insert(out.end(), cookie.begin(), cookie.end());
  out.insert(out.end(), kVectorTid.begin(), kVectorTid.end());
  out.insert(out.end(), attributes.begin(), attributes.end());
  return out;
}

// Touch every accessor (the fuzz cases: no crash, no sanitizer report).
void touch(const StunMessage& m) {
  (void)m.method(), (void)m.messageClass(), (void)m.username(), (void)m.priority();
  (void)m.iceControlling(), (void)m.iceControlled(), (void)m.useCandidate();
  (void)m.errorCode(), (void)m.errorReason(), (void)m.xorMappedAddress();
  (void)m.verifyIntegrity(kVectorPassword), (void)m.fingerprintOk(), (void)stunLocalUfrag(m);
  (void)stunBindingError(m, 420, "x", "key");
}

}  // namespace

BOOST_AUTO_TEST_CASE(crc32_is_the_iso_hdlc_crc) {
  const std::string check = "123456789";
  BOOST_TEST(stunCrc32(std::span(reinterpret_cast<const uint8_t*>(check.data()), check.size())) ==
             0xCBF43926u);
  BOOST_TEST(stunCrc32({}) == 0u);
}

BOOST_AUTO_TEST_CASE(rfc5769_sample_request_verifies) {
  const StunMessage m = mustParse(kSampleRequest);
  BOOST_TEST((m.messageClass() == StunClass::Request));
  BOOST_TEST(m.method() == kStunMethodBinding);
  BOOST_TEST((m.transactionId() == kVectorTid));
  BOOST_TEST_REQUIRE(m.username().has_value());
  BOOST_TEST(*m.username() == "evtj:h6vY");
  BOOST_TEST(*stunLocalUfrag(m) == "evtj");
  BOOST_TEST(*m.priority() == 0x6e0001ffu);
  BOOST_TEST(*m.iceControlled() == 0x932ff9b151263b36u);
  BOOST_TEST(!m.iceControlling().has_value());
  BOOST_TEST(!m.useCandidate());
  BOOST_TEST(m.hasIntegrity());
  BOOST_TEST(m.verifyIntegrity(kVectorPassword));
  BOOST_TEST(!m.verifyIntegrity("VOkJxbRl1RmTxUk/WvJxBu"));
  BOOST_TEST(!m.verifyIntegrity(""));
  BOOST_TEST(m.hasFingerprint());
  BOOST_TEST(m.fingerprintOk());
  BOOST_TEST(m.attributeError().empty());
  BOOST_TEST(m.unknownRequired().empty());  // SOFTWARE is comprehension-optional
}

BOOST_AUTO_TEST_CASE(rfc5769_ipv4_response_verifies) {
  const StunMessage m = mustParse(kSampleIpv4Response);
  BOOST_TEST((m.messageClass() == StunClass::Success));
  BOOST_TEST(m.method() == kStunMethodBinding);
  BOOST_TEST(m.verifyIntegrity(kVectorPassword));
  BOOST_TEST(m.fingerprintOk());
  BOOST_TEST_REQUIRE(m.xorMappedAddress().has_value());
  BOOST_TEST(addressText(*m.xorMappedAddress()) == "192.0.2.1:32853");
  // Our encoder writes the same XOR-MAPPED-ADDRESS value (offset 40: 0001a147 e112a643).
  const auto value = stunXorAddressValue(v4("192.0.2.1", 32853), kVectorTid);
  BOOST_TEST_REQUIRE(value.has_value());
  BOOST_TEST(*value == std::vector<uint8_t>(kSampleIpv4Response.begin() + 40,
                                            kSampleIpv4Response.begin() + 48));
}

BOOST_AUTO_TEST_CASE(rfc5769_ipv6_response_verifies) {
  const StunMessage m = mustParse(kSampleIpv6Response);
  BOOST_TEST((m.messageClass() == StunClass::Success));
  BOOST_TEST(m.verifyIntegrity(kVectorPassword));
  BOOST_TEST(m.fingerprintOk());
  BOOST_TEST_REQUIRE(m.xorMappedAddress().has_value());
  BOOST_TEST(addressText(*m.xorMappedAddress()) == "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
  const auto value =
      stunXorAddressValue(v6("2001:db8:1234:5678:11:2233:4455:6677", 32853), kVectorTid);
  BOOST_TEST_REQUIRE(value.has_value());
  BOOST_TEST(*value == std::vector<uint8_t>(kSampleIpv6Response.begin() + 40,
                                            kSampleIpv6Response.begin() + 60));
}

BOOST_AUTO_TEST_CASE(a_flipped_bit_breaks_integrity_or_fingerprint) {
  // Every byte of the request after the header: flipping it breaks the HMAC (bytes before
  // MESSAGE-INTEGRITY or in it) and always the FINGERPRINT.
  for (size_t i = kStunHeaderSize; i < kSampleRequest.size(); ++i) {
    auto bytes = kSampleRequest;
    bytes[i] ^= 0x01;
    std::string error;
    const auto m = StunMessage::parse(bytes, error);
    if (!m) continue;  // e.g. a length byte: refused outright
    BOOST_TEST(!m->fingerprintOk(), "byte " << i);
    if (i < 100) BOOST_TEST(!m->verifyIntegrity(kVectorPassword), "byte " << i);
  }
}

BOOST_AUTO_TEST_CASE(message_type_bits_follow_rfc8489_section5) {
  BOOST_TEST(stunMessageType(kStunMethodBinding, StunClass::Request) == 0x0001);
  BOOST_TEST(stunMessageType(kStunMethodBinding, StunClass::Indication) == 0x0011);
  BOOST_TEST(stunMessageType(kStunMethodBinding, StunClass::Success) == 0x0101);
  BOOST_TEST(stunMessageType(kStunMethodBinding, StunClass::Error) == 0x0111);
  for (const uint16_t method : {0x001, 0x003, 0x00A, 0x080, 0xABC, 0xFFF}) {
    for (const auto cls :
         {StunClass::Request, StunClass::Indication, StunClass::Success, StunClass::Error}) {
      const auto bytes = stunEncode(stunMessageType(method, cls), kVectorTid, {}, "", false);
      const StunMessage m = mustParse(bytes);
      BOOST_TEST(m.method() == method);
      BOOST_TEST((m.messageClass() == cls));
    }
  }
}

BOOST_AUTO_TEST_CASE(binding_request_builder_round_trips) {
  const std::array<uint8_t, 12> tid = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const auto bytes = stunBindingRequest(tid, "lfrag:rfrag", "secret-pwd-0123456789", 0x6e7f00ff,
                                        true, 0x1122334455667788u);
  BOOST_TEST(bytes.size() % 4 == 0);
  const StunMessage m = mustParse(bytes);
  BOOST_TEST((m.messageClass() == StunClass::Request));
  BOOST_TEST((m.transactionId() == tid));
  BOOST_TEST(*m.username() == "lfrag:rfrag");
  BOOST_TEST(*stunLocalUfrag(m) == "lfrag");
  BOOST_TEST(*m.priority() == 0x6e7f00ffu);
  BOOST_TEST(*m.iceControlling() == 0x1122334455667788u);
  BOOST_TEST(!m.iceControlled().has_value());
  BOOST_TEST(m.useCandidate());
  BOOST_TEST(m.verifyIntegrity("secret-pwd-0123456789"));
  BOOST_TEST(!m.verifyIntegrity("secret-pwd-012345678"));
  BOOST_TEST(m.fingerprintOk());
  // Without USE-CANDIDATE, and with a username that needs padding.
  const StunMessage n = mustParse(stunBindingRequest(tid, "abc:d", "k", 1, false, 2));
  BOOST_TEST(!n.useCandidate());
  BOOST_TEST(*n.username() == "abc:d");
  BOOST_TEST(n.verifyIntegrity("k"));
}

BOOST_AUTO_TEST_CASE(binding_success_builder_round_trips_both_families) {
  const StunMessage request = mustParse(kSampleRequest);
  for (const auto& address : {v4("203.0.113.7", 54321), v6("2001:db8::42", 1), v4("0.0.0.0", 0),
                              v6("::ffff:198.51.100.9", 40000)}) {
    const auto bytes = stunBindingSuccess(request, address, "our-pwd");
    const StunMessage m = mustParse(bytes);
    BOOST_TEST((m.messageClass() == StunClass::Success));
    BOOST_TEST((m.transactionId() == request.transactionId()));
    BOOST_TEST(m.verifyIntegrity("our-pwd"));
    BOOST_TEST(m.fingerprintOk());
    BOOST_TEST_REQUIRE(m.xorMappedAddress().has_value());
    const std::string want = addressText(address) == "[::ffff:198.51.100.9]:40000"
                                 ? "198.51.100.9:40000"  // an IPv4 peer on a dual-stack socket
                                 : addressText(address);
    BOOST_TEST(addressText(*m.xorMappedAddress()) == want);
  }
  sockaddr_storage local{};
  local.ss_family = AF_UNIX;
  BOOST_TEST(stunBindingSuccess(request, local, "our-pwd").empty());
}

BOOST_AUTO_TEST_CASE(binding_error_builder_round_trips) {
  const StunMessage request = mustParse(kSampleRequest);
  const StunMessage unauthenticated =
      mustParse(stunBindingError(request, 401, "Unauthenticated", ""));
  BOOST_TEST((unauthenticated.messageClass() == StunClass::Error));
  BOOST_TEST(*unauthenticated.errorCode() == 401);
  BOOST_TEST(unauthenticated.errorReason() == "Unauthenticated");
  BOOST_TEST(!unauthenticated.hasIntegrity());
  BOOST_TEST(unauthenticated.fingerprintOk());

  const StunMessage conflict = mustParse(stunBindingError(request, 487, "Role Conflict", "pwd"));
  BOOST_TEST(*conflict.errorCode() == 487);
  BOOST_TEST(conflict.errorReason() == "Role Conflict");
  BOOST_TEST(conflict.verifyIntegrity("pwd"));

  const StunMessage bad = mustParse(stunBindingError(request, 400, std::string(300, 'x'), ""));
  BOOST_TEST(*bad.errorCode() == 400);
  BOOST_TEST(bad.errorReason().size() == 127u);  // RFC 8489 §14.8: < 128 characters
  // A cut never splits a UTF-8 sequence: 126 'a' then a 2-byte character.
  const StunMessage utf8 =
      mustParse(stunBindingError(request, 400, std::string(126, 'a') + "\xc3\xa9", ""));
  BOOST_TEST(utf8.errorReason().size() == 126u);
}

BOOST_AUTO_TEST_CASE(every_truncation_is_refused) {
  const std::array<uint8_t, 12> tid = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
  const StunMessage request = mustParse(kSampleRequest);
  const std::vector<std::vector<uint8_t>> messages = {
      kSampleRequest, kSampleIpv4Response, kSampleIpv6Response,
      stunBindingRequest(tid, "a:b", "pwd", 7, true, 8),
      stunBindingError(request, 487, "Role Conflict", "pwd")};
  for (const auto& full : messages) {
    for (size_t n = 0; n < full.size(); ++n) {
      const std::string error = mustFail(std::span(full).first(n));
      BOOST_TEST(!error.empty(), "length " << n);
    }
  }
}

BOOST_AUTO_TEST_CASE(truncations_with_a_matching_length_are_bounded) {
  // The header's length patched to each cut: the attribute walk itself must refuse an
  // attribute that overruns, and a cut on an attribute boundary parses what is left.
  for (size_t n = kStunHeaderSize; n < kSampleRequest.size(); n += 4) {
    std::vector<uint8_t> bytes(kSampleRequest.begin(), kSampleRequest.begin() + n);
    bytes[2] = static_cast<uint8_t>((n - kStunHeaderSize) >> 8);
    bytes[3] = static_cast<uint8_t>(n - kStunHeaderSize);
    std::string error;
    const auto m = StunMessage::parse(bytes, error);
    if (!m) {
      BOOST_TEST(error.find("overruns") != std::string::npos, error);
      continue;
    }
    touch(*m);
    BOOST_TEST(!m->hasFingerprint());
    if (n == 100) {
      // NOTE: MESSAGE-INTEGRITY does not cover FINGERPRINT: cut before it, it still verifies.
      BOOST_TEST(m->verifyIntegrity(kVectorPassword));
    }
  }
}

BOOST_AUTO_TEST_CASE(framing_errors_name_offset_and_field) {
  auto bytes = kSampleRequest;
  bytes[4] = 0x21, bytes[5] = 0x12, bytes[6] = 0xa4, bytes[7] = 0x43;
  BOOST_TEST(mustFail(bytes).find("magic cookie") != std::string::npos);

  bytes = kSampleRequest;
  bytes[0] |= 0x40;
  BOOST_TEST(mustFail(bytes).find("top two bits") != std::string::npos);

  bytes = kSampleRequest;
  bytes.push_back(0);
  bytes[3] += 1;  // 0x59: the datagram's length but not a multiple of 4
  BOOST_TEST(mustFail(bytes).find("multiple of 4") != std::string::npos);

  bytes = kSampleRequest;
  bytes[3] += 4;  // claims 4 more bytes than there are
  BOOST_TEST(mustFail(bytes).find("length 92") != std::string::npos);

  bytes = kSampleRequest;
  bytes[22] = 0x01;  // SOFTWARE at offset 20 now claims 0x0110 bytes
  BOOST_TEST(mustFail(bytes).find("attribute 0x8022 at offset 20") != std::string::npos);

  // Anything after FINGERPRINT.
  bytes = kSampleRequest;
  for (const uint8_t b : {0x80, 0x22, 0x00, 0x00}) bytes.push_back(b);
  bytes[3] += 4;
  BOOST_TEST(mustFail(bytes).find("after FINGERPRINT") != std::string::npos);

  // A FINGERPRINT of the wrong size cannot be checked: refused.
  BOOST_TEST(mustFail(rawMessage(0x0001, {0x80, 0x28, 0x00, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}))
                 .find("FINGERPRINT at offset 20") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(size_and_attribute_count_are_bounded) {
  // 1500 bytes: 20 + one SOFTWARE of 1476 bytes -> accepted; 1504 -> refused.
  std::vector<uint8_t> attrs = {0x80, 0x22, 0x05, 0xc4};
  attrs.resize(4 + 1476, 'x');
  BOOST_TEST(rawMessage(0x0001, attrs).size() == kStunMaxMessage);
  mustParse(rawMessage(0x0001, attrs));
  attrs[3] += 4;
  attrs.resize(attrs.size() + 4, 'x');
  BOOST_TEST(mustFail(rawMessage(0x0001, attrs)).find("bound") != std::string::npos);

  // 32 empty comprehension-optional attributes pass, 33 do not.
  std::vector<uint8_t> many;
  for (size_t i = 0; i < kStunMaxAttributes; ++i) {
    for (const uint8_t b : {0xC0, 0x57, 0x00, 0x00}) many.push_back(b);
  }
  mustParse(rawMessage(0x0001, many));
  for (const uint8_t b : {0xC0, 0x57, 0x00, 0x00}) many.push_back(b);
  BOOST_TEST(mustFail(rawMessage(0x0001, many)).find("more than 32 attributes") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(attributes_after_integrity_are_ignored) {
  const std::array<uint8_t, 12> tid = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const StunAttribute user[] = {{kStunAttrUsername, text("l:r")}};
  auto bytes = stunEncode(0x0001, tid, user, "pwd", false);
  // Append PRIORITY and USE-CANDIDATE after MESSAGE-INTEGRITY (and fix the length).
  for (const uint8_t b : {0x00, 0x24, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x25, 0x00, 0x00}) {
    bytes.push_back(b);
  }
  bytes[3] += 12;
  const StunMessage m = mustParse(bytes);
  BOOST_TEST(m.verifyIntegrity("pwd"));
  BOOST_TEST(!m.priority().has_value());
  BOOST_TEST(!m.useCandidate());
  BOOST_TEST(!m.hasFingerprint());
}

BOOST_AUTO_TEST_CASE(malformed_known_attributes_are_reported_not_fatal) {
  struct Case {
    std::vector<uint8_t> attribute;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {{0x00, 0x24, 0x00, 0x03, 1, 2, 3, 0}, "PRIORITY at offset 20: length 3, want 4"},
      {{0x00, 0x25, 0x00, 0x04, 1, 2, 3, 4}, "USE-CANDIDATE at offset 20: length 4, want 0"},
      {{0x80, 0x2A, 0x00, 0x04, 1, 2, 3, 4}, "ICE-CONTROLLING at offset 20: length 4, want 8"},
      {{0x80, 0x29, 0x00, 0x00}, "ICE-CONTROLLED at offset 20: length 0, want 8"},
      {{0x00, 0x08, 0x00, 0x04, 1, 2, 3, 4}, "MESSAGE-INTEGRITY at offset 20: length 4"},
      {{0x00, 0x09, 0x00, 0x04, 0, 0, 7, 1}, "ERROR-CODE at offset 20"},
      {{0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 0, 0, 0, 0}, "XOR-MAPPED-ADDRESS at offset 20"},
      {{0x00, 0x20, 0x00, 0x08, 0, 2, 0, 0, 0, 0, 0, 0}, "XOR-MAPPED-ADDRESS at offset 20"},
  };
  for (const Case& c : cases) {
    const StunMessage m = mustParse(rawMessage(0x0001, c.attribute));
    BOOST_TEST(m.attributeError().find(c.expect) != std::string::npos, m.attributeError()
                                                                           << " vs " << c.expect);
    BOOST_TEST(!m.priority().has_value());
    BOOST_TEST(!m.useCandidate());
    BOOST_TEST(!m.hasIntegrity());
    BOOST_TEST(!m.errorCode().has_value());
    BOOST_TEST(!m.xorMappedAddress().has_value());
  }
  // A USERNAME over 512 bytes.
  std::vector<uint8_t> user = {0x00, 0x06, 0x02, 0x01};
  user.resize(4 + 516, 'u');
  const StunMessage m = mustParse(rawMessage(0x0001, user));
  BOOST_TEST(m.attributeError().find("USERNAME at offset 20: 513 bytes") != std::string::npos);
  BOOST_TEST(!m.username().has_value());
}

BOOST_AUTO_TEST_CASE(first_occurrence_wins_and_unknown_required_types_are_listed) {
  const StunMessage m = mustParse(rawMessage(
      0x0001, {0x00, 0x24, 0x00, 0x04, 0,   0, 0, 1,     // PRIORITY 1
               0x00, 0x24, 0x00, 0x04, 0,   0, 0, 2,     // PRIORITY 2: ignored
               0x00, 0x13, 0x00, 0x01, 9,   0, 0, 0,     // DATA (TURN): comprehension-required
               0x00, 0x13, 0x00, 0x00,                   // listed once
               0x7F, 0xFF, 0x00, 0x00,                   // unknown, comprehension-required
               0xC0, 0x57, 0x00, 0x04, 0,   1, 0, 0,     // GOOG-NETWORK-INFO: optional
               0x00, 0x15, 0x00, 0x01, 'n', 0, 0, 0}));  // NONCE: known
  BOOST_TEST(*m.priority() == 1u);
  BOOST_TEST(m.unknownRequired() == (std::vector<uint16_t>{0x0013, 0x7FFF}));
  BOOST_TEST(m.attributeError().empty());
  // A 420 lists them in UNKNOWN-ATTRIBUTES (checked on the wire: type 0x000A, 4 bytes).
  const auto reply = stunBindingError(m, 420, "Unknown Attribute", "");
  const std::vector<uint8_t> unknown = {0x00, 0x0A, 0x00, 0x04, 0x00, 0x13, 0x7F, 0xFF};
  const bool listed =
      std::search(reply.begin(), reply.end(), unknown.begin(), unknown.end()) != reply.end();
  BOOST_TEST(listed);
}

BOOST_AUTO_TEST_CASE(local_ufrag_of_a_username) {
  const std::array<uint8_t, 12> tid{};
  // NOTE: the view points into the message: copy it before the message goes.
  auto ufrag = [&](std::string_view user) -> std::optional<std::string> {
    const StunMessage m = mustParse(stunBindingRequest(tid, user, "", 1, false, 1));
    const auto local = stunLocalUfrag(m);
    return local ? std::optional<std::string>(*local) : std::nullopt;
  };
  BOOST_TEST(*ufrag("ours:theirs") == "ours");
  BOOST_TEST(*ufrag("ours:") == "ours");
  BOOST_TEST(!ufrag(":theirs").has_value());
  BOOST_TEST(!ufrag("nocolon").has_value());
  BOOST_TEST(!stunLocalUfrag(mustParse(stunEncode(0x0001, tid, {}, "", true))).has_value());
}

BOOST_AUTO_TEST_CASE(random_bytes_never_crash) {
  std::mt19937 rng(20261207);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> size(0, kStunMaxMessage + 40);
  size_t parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes(size(rng));
    for (auto& b : bytes) b = static_cast<uint8_t>(byte(rng));
    if (i % 2 == 1 && bytes.size() >= kStunHeaderSize) {
      // Half with a plausible header so the attribute walk runs on random attributes.
      bytes.resize(bytes.size() & ~size_t{3});
      const auto body = bytes.size() - kStunHeaderSize;
      bytes[0] &= 0x3F, bytes[2] = static_cast<uint8_t>(body >> 8);
      bytes[3] = static_cast<uint8_t>(body);
      bytes[4] = 0x21, bytes[5] = 0x12, bytes[6] = 0xa4, bytes[7] = 0x42;
    }
    std::string error;
    const auto m = StunMessage::parse(bytes, error);
    if (m) {
      ++parsed;
      touch(*m);
    } else {
      BOOST_TEST_REQUIRE(!error.empty());
    }
  }
  BOOST_TEST_MESSAGE("random datagrams parsed: " << parsed << " of 20000");
  // Mutations of a valid message: one to three random bytes changed.
  for (int i = 0; i < 20000; ++i) {
    auto bytes = kSampleRequest;
    for (int k = 0; k < 1 + i % 3; ++k) {
      bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] =
          static_cast<uint8_t>(byte(rng));
    }
    std::string error;
    if (const auto m = StunMessage::parse(bytes, error)) touch(*m);
  }
}
