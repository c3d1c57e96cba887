// STUN (RFC 8489) for an ICE-lite answerer: a bounded parser of one datagram into a
// StunMessage (owns a copy of the bytes) and the encoders of the messages we send.
// Pure functions and values, no I/O, no state; the loop thread (any thread would do).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace webrtc {

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr size_t kStunHeaderSize = 20;
// NOTE: the bound of one message. STUN over UDP travels in one datagram; ICE checks are
// 80-200 bytes (Chromium's ~150), so 1500 (an Ethernet MTU) leaves ample room and caps
// the copy, the HMAC and the CRC at a known size.
inline constexpr size_t kStunMaxMessage = 1500;
// NOTE: the bound of attributes per message: an ICE check carries 5-9 (USERNAME,
// PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, GOOG-*, MESSAGE-INTEGRITY, FINGERPRINT).
inline constexpr size_t kStunMaxAttributes = 32;

inline constexpr uint16_t kStunMethodBinding = 0x001;

// Attribute types (RFC 8489 §18.3, RFC 8445 §16.1).
inline constexpr uint16_t kStunAttrMappedAddress = 0x0001;
inline constexpr uint16_t kStunAttrUsername = 0x0006;
inline constexpr uint16_t kStunAttrMessageIntegrity = 0x0008;
inline constexpr uint16_t kStunAttrErrorCode = 0x0009;
inline constexpr uint16_t kStunAttrUnknownAttributes = 0x000A;
inline constexpr uint16_t kStunAttrRealm = 0x0014;
inline constexpr uint16_t kStunAttrNonce = 0x0015;
inline constexpr uint16_t kStunAttrMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kStunAttrPasswordAlgorithm = 0x001D;
inline constexpr uint16_t kStunAttrUserhash = 0x001E;
inline constexpr uint16_t kStunAttrXorMappedAddress = 0x0020;
inline constexpr uint16_t kStunAttrPriority = 0x0024;
inline constexpr uint16_t kStunAttrUseCandidate = 0x0025;
inline constexpr uint16_t kStunAttrSoftware = 0x8022;
inline constexpr uint16_t kStunAttrFingerprint = 0x8028;
inline constexpr uint16_t kStunAttrIceControlled = 0x8029;
inline constexpr uint16_t kStunAttrIceControlling = 0x802A;

enum class StunClass : uint8_t { Request = 0, Indication = 1, Success = 2, Error = 3 };

class StunMessage {
 public:
  // One datagram -> a message, or nullopt and `error` naming what is wrong (offset and
  // field). Refused: fewer than 20 or more than kStunMaxMessage bytes, the top two bits
  // set, a wrong magic cookie, a length that is not a multiple of 4 or not the datagram's,
  // an attribute (with its padding) overrunning the message, more than kStunMaxAttributes
  // attributes, anything after FINGERPRINT. Attributes after MESSAGE-INTEGRITY other than
  // FINGERPRINT are skipped (RFC 8489 §14.5). A known attribute with a bad value does not
  // fail the parse (a request gets a 400): see attributeError().
  static std::optional<StunMessage> parse(std::span<const uint8_t> datagram, std::string& error);

  uint16_t method() const { return method_; }
  StunClass messageClass() const { return class_; }
  const std::array<uint8_t, 12>& transactionId() const { return transactionId_; }
  std::span<const uint8_t> bytes() const { return bytes_; }

  std::optional<std::string_view> username() const;
  bool useCandidate() const { return useCandidate_; }
  std::optional<uint32_t> priority() const { return priority_; }
  std::optional<uint64_t> iceControlling() const { return iceControlling_; }
  std::optional<uint64_t> iceControlled() const { return iceControlled_; }
  std::optional<int> errorCode() const { return errorCode_; }
  std::string_view errorReason() const;
  std::optional<sockaddr_storage> xorMappedAddress() const { return xorMapped_; }

  bool hasIntegrity() const { return integrityOffset_ != 0; }
  // HMAC-SHA1 keyed by `key` (short-term: the ICE password as is) over the message up to
  // MESSAGE-INTEGRITY with the length field ending at it (RFC 8489 §14.5). Constant time.
  bool verifyIntegrity(std::string_view key) const;
  bool hasFingerprint() const { return fingerprintOffset_ != 0; }
  bool fingerprintOk() const { return fingerprintOk_; }

  // The first known attribute (before MESSAGE-INTEGRITY) whose value is malformed, e.g.
  // "stun: PRIORITY at offset 32: length 3, want 4"; empty when all are well formed.
  const std::string& attributeError() const { return attributeError_; }
  // Comprehension-required types (< 0x8000) we do not know, before MESSAGE-INTEGRITY: a
  // request carrying any gets 420 with UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1).
  const std::vector<uint16_t>& unknownRequired() const { return unknownRequired_; }

 private:
  StunMessage() = default;
  bool parseAttributes(std::string& error);
  void readAttribute(uint16_t type, size_t offset, size_t length);
  void noteBadAttribute(std::string text);

  std::vector<uint8_t> bytes_;
  std::array<uint8_t, 12> transactionId_{};
  uint16_t method_ = 0;
  StunClass class_ = StunClass::Request;
  size_t usernameOffset_ = 0, usernameLength_ = 0;  // offset 0: absent
  size_t reasonOffset_ = 0, reasonLength_ = 0;
  size_t integrityOffset_ = 0;    // of the MESSAGE-INTEGRITY attribute header; 0: absent
  size_t fingerprintOffset_ = 0;  // likewise
  bool fingerprintOk_ = false;
  bool useCandidate_ = false;
  std::optional<uint32_t> priority_;
  std::optional<uint64_t> iceControlling_, iceControlled_;
  std::optional<int> errorCode_;
  std::optional<sockaddr_storage> xorMapped_;
  std::string attributeError_;
  std::vector<uint16_t> unknownRequired_;
};

// One attribute to encode; the encoder pads it.
struct StunAttribute {
  uint16_t type;
  std::vector<uint8_t> value;
};

// A message of `type` (method and class already combined, e.g. 0x0101) with `attributes`
// in order, then MESSAGE-INTEGRITY keyed by `key` when `key` is non-empty, then
// FINGERPRINT when `fingerprint`. The general encoder behind the builders below (tests
// use it for messages the builders do not make).
std::vector<uint8_t> stunEncode(uint16_t type, const std::array<uint8_t, 12>& transactionId,
                                std::span<const StunAttribute> attributes, std::string_view key,
                                bool fingerprint);
uint16_t stunMessageType(uint16_t method, StunClass cls);

// XOR-MAPPED-ADDRESS's value for `address` (RFC 8489 §14.2); an IPv4-mapped IPv6 address
// is written as IPv4. nullopt for a family other than AF_INET/AF_INET6.
std::optional<std::vector<uint8_t>> stunXorAddressValue(const sockaddr_storage& address,
                                                        const std::array<uint8_t, 12>& tid);

// Builders (MESSAGE-INTEGRITY keyed by `key` when non-empty, FINGERPRINT always).
// A success to a Binding request: XOR-MAPPED-ADDRESS = `mapped`. Empty when `mapped` has a
// family we cannot encode.
std::vector<uint8_t> stunBindingSuccess(const StunMessage& request, const sockaddr_storage& mapped,
                                        std::string_view key);
// An error response of the request's method: ERROR-CODE `code` (300-699) with `reason`
// (cut at 127 bytes), UNKNOWN-ATTRIBUTES for a 420. Pass `key` only when the request
// authenticated (RFC 8489 §9.1.3: no integrity on 400/401 to an unauthenticated one).
std::vector<uint8_t> stunBindingError(const StunMessage& request, int code, std::string_view reason,
                                      std::string_view key);
// A Binding request with USERNAME, PRIORITY, USE-CANDIDATE (if asked) and ICE-CONTROLLING
// = `controlling` (the tie-breaker); for tests and consent checks.
std::vector<uint8_t> stunBindingRequest(const std::array<uint8_t, 12>& tid,
                                        std::string_view username, std::string_view key,
                                        uint32_t priority, bool useCandidate, uint64_t controlling);

// The local ufrag of a request ("ours:theirs" -> "ours"), to find the session; a view into
// `message` (copy it to keep it). nullopt without USERNAME, without a colon or with an
// empty local part.
std::optional<std::string_view> stunLocalUfrag(const StunMessage& message);

// CRC-32 (ISO-HDLC, the one of zlib and FINGERPRINT before its XOR).
uint32_t stunCrc32(std::span<const uint8_t> data);

}  // namespace webrtc
