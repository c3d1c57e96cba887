#include "protocols/webrtc/stun_message.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <utility>

namespace webrtc {
namespace {

constexpr uint32_t kStunFingerprintXor = 0x5354554E;  // RFC 8489 §14.7
constexpr size_t kStunHmacSize = 20;                  // HMAC-SHA1
constexpr size_t kStunMaxUsername = 512;              // RFC 5389 §15.3: fewer than 513 bytes
constexpr size_t kStunMaxReason = 127;                // §14.8: fewer than 128 characters

constexpr std::array<uint32_t, 256> stunMakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kStunCrcTable = stunMakeCrcTable();

uint16_t stunRead16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
uint32_t stunRead32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}
uint64_t stunRead64(std::span<const uint8_t> b, size_t at) {
  return (uint64_t{stunRead32(b, at)} << 32) | stunRead32(b, at + 4);
}
void stunPut16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void stunPut32(std::vector<uint8_t>& out, uint32_t v) {
  stunPut16(out, static_cast<uint16_t>(v >> 16));
  stunPut16(out, static_cast<uint16_t>(v));
}
void stunSetLength(std::vector<uint8_t>& out, size_t bodyLength) {
  out[2] = static_cast<uint8_t>(bodyLength >> 8);
  out[3] = static_cast<uint8_t>(bodyLength);
}
void stunAppendAttribute(std::vector<uint8_t>& out, uint16_t type, std::span<const uint8_t> v) {
  const size_t n = std::min<size_t>(v.size(), 0xFFFF);
  stunPut16(out, type);
  stunPut16(out, static_cast<uint16_t>(n));
  out.insert(out.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  out.resize(out.size() + ((4 - n % 4) % 4), 0);
}
std::array<uint8_t, kStunHmacSize> stunHmacSha1(std::string_view key,
                                                std::span<const uint8_t> data) {
  std::array<uint8_t, kStunHmacSize> digest{};
  unsigned int len = 0;
  // NOTE: an empty key still needs a valid pointer for OpenSSL.
  const char* k = key.empty() ? "" : key.data();
  HMAC(EVP_sha1(), k, static_cast<int>(key.size()), data.data(), data.size(), digest.data(), &len);
  return digest;
}
std::vector<uint8_t> stunBe(uint64_t v, int bytes) {
  std::vector<uint8_t> out(static_cast<size_t>(bytes));
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = v & 0xFF;
  return out;
}
std::string_view stunAttributeName(uint16_t type) {
  switch (type) {
    case kStunAttrUsername:
      return "USERNAME";
    case kStunAttrMessageIntegrity:
      return "MESSAGE-INTEGRITY";
    case kStunAttrErrorCode:
      return "ERROR-CODE";
    case kStunAttrXorMappedAddress:
      return "XOR-MAPPED-ADDRESS";
    case kStunAttrPriority:
      return "PRIORITY";
    case kStunAttrUseCandidate:
      return "USE-CANDIDATE";
    case kStunAttrFingerprint:
      return "FINGERPRINT";
    case kStunAttrIceControlled:
      return "ICE-CONTROLLED";
    case kStunAttrIceControlling:
      return "ICE-CONTROLLING";
    default:
      return "attribute";
  }
}
// Comprehension-required types (< 0x8000) this parser knows, beside those it reads.
bool stunKnownRequired(uint16_t type) {
  switch (type) {
    case kStunAttrMappedAddress:
    case kStunAttrUnknownAttributes:
    case kStunAttrRealm:
    case kStunAttrNonce:
    case kStunAttrMessageIntegritySha256:
    case kStunAttrPasswordAlgorithm:
    case kStunAttrUserhash:
      return true;
    default:
      return false;
  }
}

// XOR-MAPPED-ADDRESS's value at `v` (RFC 8489 §14.2); nullopt unless IPv4 in 8 bytes or
// IPv6 in 20. `b` is the whole message: its bytes 4-19 are the cookie and transaction ID.
std::optional<sockaddr_storage> stunDecodeXorAddress(std::span<const uint8_t> b, size_t v,
                                                     size_t length) {
  const uint8_t family = length >= 4 ? b[v + 1] : 0;
  if (!((family == 1 && length == 8) || (family == 2 && length == 20))) return std::nullopt;
  sockaddr_storage ss{};
  const auto port = static_cast<uint16_t>(stunRead16(b, v + 2) ^ (kStunMagicCookie >> 16));
  if (family == 1) {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    in->sin_addr.s_addr = htonl(stunRead32(b, v + 4) ^ kStunMagicCookie);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    // NOTE: §14.2: IPv6 is XORed with the magic cookie followed by the transaction ID.
    for (size_t i = 0; i < 16; ++i) in6->sin6_addr.s6_addr[i] = b[v + 4 + i] ^ b[4 + i];
  }
  return ss;
}

}  // namespace

uint32_t stunCrc32(std::span<const uint8_t> data) {
  uint32_t c = 0xFFFFFFFFu;
  for (const uint8_t b : data) c = kStunCrcTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint16_t stunMessageType(uint16_t method, StunClass cls) {
  // NOTE: RFC 8489 §5: the class bits C0 (bit 4) and C1 (bit 8) sit between method bits.
  const auto c = static_cast<uint16_t>(cls);
  return static_cast<uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                               ((method & 0x0F80) << 2) | ((c & 1) << 4) | ((c & 2) << 7));
}

std::optional<StunMessage> StunMessage::parse(std::span<const uint8_t> d, std::string& error) {
  if (d.size() < kStunHeaderSize) {
    error = fmt::format("stun: {} bytes, shorter than the 20-byte header", d.size());
    return std::nullopt;
  }
  if (d.size() > kStunMaxMessage) {
    error = fmt::format("stun: {} bytes, over the {}-byte bound", d.size(), kStunMaxMessage);
    return std::nullopt;
  }
  const uint16_t type = stunRead16(d, 0);
  if ((type & 0xC000) != 0) {
    error = fmt::format("stun: type 0x{:04x} at offset 0 has its top two bits set", type);
    return std::nullopt;
  }
  if (const uint32_t cookie = stunRead32(d, 4); cookie != kStunMagicCookie) {
    error = fmt::format("stun: magic cookie 0x{:08x} at offset 4, want 0x2112a442", cookie);
    return std::nullopt;
  }
  const uint16_t length = stunRead16(d, 2);
  if (length % 4 != 0 || kStunHeaderSize + length != d.size()) {
    error = fmt::format("stun: length {} at offset 2 for {} bytes after the header{}", length,
                        d.size() - kStunHeaderSize, length % 4 ? " (not a multiple of 4)" : "");
    return std::nullopt;
  }
  StunMessage m;
  m.bytes_.assign(d.begin(), d.end());
  std::copy_n(d.begin() + 8, 12, m.transactionId_.begin());
  m.method_ =
      static_cast<uint16_t>((type & 0x000F) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0F80));
  m.class_ = static_cast<StunClass>(((type >> 4) & 1) | ((type >> 7) & 2));
  if (!m.parseAttributes(error)) return std::nullopt;
  return m;
}

bool StunMessage::parseAttributes(std::string& error) {
  const std::span<const uint8_t> b = bytes_;
  size_t offset = kStunHeaderSize;
  size_t count = 0;
  // NOTE: both the offset and the size are multiples of 4, so 4 header bytes are there.
  while (offset < b.size()) {
    const uint16_t type = stunRead16(b, offset);
    const uint16_t length = stunRead16(b, offset + 2);
    if (fingerprintOffset_ != 0) {
      error = fmt::format("stun: attribute 0x{:04x} at offset {} after FINGERPRINT", type, offset);
      return false;
    }
    if (++count > kStunMaxAttributes) {
      error = fmt::format("stun: more than {} attributes (offset {})", kStunMaxAttributes, offset);
      return false;
    }
    const size_t padded = (size_t{length} + 3) & ~size_t{3};
    if (padded > b.size() - offset - 4) {
      error = fmt::format(
          "stun: attribute 0x{:04x} at offset {}: length {} overruns the {}-byte message", type,
          offset, length, b.size());
      return false;
    }
    if (type == kStunAttrFingerprint) {
      if (length != 4) {
        error = fmt::format("stun: FINGERPRINT at offset {}: length {}, want 4", offset, length);
        return false;
      }
      fingerprintOffset_ = offset;
      // NOTE: §14.7: CRC over everything before it; the header's length already ends here.
      fingerprintOk_ =
          (stunCrc32(b.first(offset)) ^ kStunFingerprintXor) == stunRead32(b, offset + 4);
    } else if (integrityOffset_ == 0) {
      if (type == kStunAttrMessageIntegrity && length != kStunHmacSize) {
        noteBadAttribute(fmt::format("stun: MESSAGE-INTEGRITY at offset {}: length {}, want 20",
                                     offset, length));
      } else if (type == kStunAttrMessageIntegrity) {
        integrityOffset_ = offset;
      } else {
        readAttribute(type, offset, length);
      }
    }
    // NOTE: §14.5: any other attribute after MESSAGE-INTEGRITY is ignored (still framed).
    offset += 4 + padded;
  }
  return true;
}

void StunMessage::noteBadAttribute(std::string text) {
  if (attributeError_.empty()) attributeError_ = std::move(text);
}

void StunMessage::readAttribute(uint16_t type, size_t offset, size_t length) {
  const std::span<const uint8_t> b = bytes_;
  const size_t v = offset + 4;
  auto wantLength = [&](size_t want) {
    if (length == want) return true;
    noteBadAttribute(fmt::format("stun: {} at offset {}: length {}, want {}",
                                 stunAttributeName(type), offset, length, want));
    return false;
  };
  switch (type) {
    case kStunAttrUsername:
      if (usernameOffset_ != 0) return;  // NOTE: §14: only the first occurrence counts
      if (length > kStunMaxUsername) {
        noteBadAttribute(fmt::format("stun: USERNAME at offset {}: {} bytes, over {}", offset,
                                     length, kStunMaxUsername));
        return;
      }
      usernameOffset_ = v, usernameLength_ = length;
      return;
    case kStunAttrPriority:
      if (!priority_ && wantLength(4)) priority_ = stunRead32(b, v);
      return;
    case kStunAttrUseCandidate:
      if (wantLength(0)) useCandidate_ = true;
      return;
    case kStunAttrIceControlled:
      if (!iceControlled_ && wantLength(8)) iceControlled_ = stunRead64(b, v);
      return;
    case kStunAttrIceControlling:
      if (!iceControlling_ && wantLength(8)) iceControlling_ = stunRead64(b, v);
      return;
    case kStunAttrErrorCode: {
      if (errorCode_) return;
      const int cls = length >= 4 ? b[v + 2] & 0x07 : 0, number = length >= 4 ? b[v + 3] : 0;
      if (length < 4 || cls < 3 || cls > 6 || number > 99) {
        noteBadAttribute(
            fmt::format("stun: ERROR-CODE at offset {}: malformed (length {})", offset, length));
        return;
      }
      errorCode_ = cls * 100 + number;
      reasonOffset_ = v + 4, reasonLength_ = length - 4;
      return;
    }
    case kStunAttrXorMappedAddress:
      if (xorMapped_) return;
      xorMapped_ = stunDecodeXorAddress(b, v, length);
      if (!xorMapped_) {
        noteBadAttribute(fmt::format("stun: XOR-MAPPED-ADDRESS at offset {}: family {} length {}",
                                     offset, length >= 4 ? b[v + 1] : 0, length));
      }
      return;
    default:
      if (type < 0x8000 && !stunKnownRequired(type)) {
        if (std::find(unknownRequired_.begin(), unknownRequired_.end(), type) ==
            unknownRequired_.end()) {
          unknownRequired_.push_back(type);
        }
      }
      return;
  }
}

std::optional<std::string_view> StunMessage::username() const {
  if (usernameOffset_ == 0) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(bytes_.data()) + usernameOffset_,
                          usernameLength_);
}

std::string_view StunMessage::errorReason() const {
  if (!errorCode_) return {};
  return std::string_view(reinterpret_cast<const char*>(bytes_.data()) + reasonOffset_,
                          reasonLength_);
}

bool StunMessage::verifyIntegrity(std::string_view key) const {
  if (integrityOffset_ == 0) return false;
  // NOTE: §14.5: the HMAC covers the header and the attributes before MESSAGE-INTEGRITY,
  // with the length field counting up to the end of MESSAGE-INTEGRITY (24 bytes).
  std::array<uint8_t, kStunMaxMessage> covered;
  std::copy_n(bytes_.begin(), integrityOffset_, covered.begin());
  const size_t adjusted = integrityOffset_ + 4 + kStunHmacSize - kStunHeaderSize;
  covered[2] = static_cast<uint8_t>(adjusted >> 8);
  covered[3] = static_cast<uint8_t>(adjusted);
  const auto digest = stunHmacSha1(key, std::span(covered).first(integrityOffset_));
  return CRYPTO_memcmp(digest.data(), bytes_.data() + integrityOffset_ + 4, kStunHmacSize) == 0;
}

std::vector<uint8_t> stunEncode(uint16_t type, const std::array<uint8_t, 12>& transactionId,
                                std::span<const StunAttribute> attributes, std::string_view key,
                                bool fingerprint) {
  std::vector<uint8_t> out;
  out.reserve(128);
  stunPut16(out, type);
  stunPut16(out, 0);
  stunPut32(out, kStunMagicCookie);
  out.insert(out.end(), transactionId.begin(), transactionId.end());
  for (const StunAttribute& a : attributes) stunAppendAttribute(out, a.type, a.value);
  if (!key.empty()) {
    stunSetLength(out, out.size() - kStunHeaderSize + 4 + kStunHmacSize);
    const auto digest = stunHmacSha1(key, out);
    stunAppendAttribute(out, kStunAttrMessageIntegrity, digest);
  }
  if (fingerprint) {
    stunSetLength(out, out.size() - kStunHeaderSize + 8);
    const uint32_t crc = stunCrc32(out) ^ kStunFingerprintXor;
    stunAppendAttribute(out, kStunAttrFingerprint, stunBe(crc, 4));
  }
  stunSetLength(out, out.size() - kStunHeaderSize);
  return out;
}

std::optional<std::vector<uint8_t>> stunXorAddressValue(const sockaddr_storage& address,
                                                        const std::array<uint8_t, 12>& tid) {
  std::vector<uint8_t> v;
  std::array<uint8_t, 16> mask{};
  const std::vector<uint8_t> cookie = stunBe(kStunMagicCookie, 4);
  std::copy(cookie.begin(), cookie.end(), mask.begin());
  std::copy(tid.begin(), tid.end(), mask.begin() + 4);
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    const auto port = static_cast<uint16_t>(ntohs(in6.sin6_port) ^ (kStunMagicCookie >> 16));
    if (IN6_IS_ADDR_V4MAPPED(&in6.sin6_addr)) {
      // NOTE: a dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d; they want IPv4 back.
      v = {0, 1};
      stunPut16(v, port);
      for (size_t i = 0; i < 4; ++i) v.push_back(in6.sin6_addr.s6_addr[12 + i] ^ mask[i]);
      return v;
    }
    v = {0, 2};
    stunPut16(v, port);
    for (size_t i = 0; i < 16; ++i) v.push_back(in6.sin6_addr.s6_addr[i] ^ mask[i]);
    return v;
  }
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    v = {0, 1};
    stunPut16(v, static_cast<uint16_t>(ntohs(in.sin_port) ^ (kStunMagicCookie >> 16)));
    stunPut32(v, ntohl(in.sin_addr.s_addr) ^ kStunMagicCookie);
    return v;
  }
  return std::nullopt;
}

std::vector<uint8_t> stunBindingSuccess(const StunMessage& request, const sockaddr_storage& mapped,
                                        std::string_view key) {
  auto value = stunXorAddressValue(mapped, request.transactionId());
  if (!value) return {};
  const StunAttribute attrs[] = {{kStunAttrXorMappedAddress, std::move(*value)}};
  return stunEncode(stunMessageType(request.method(), StunClass::Success), request.transactionId(),
                    attrs, key, true);
}

std::vector<uint8_t> stunBindingError(const StunMessage& request, int code, std::string_view reason,
                                      std::string_view key) {
  code = std::clamp(code, 300, 699);
  size_t cut = std::min(reason.size(), kStunMaxReason);
  // NOTE: never cut inside a UTF-8 sequence (continuation bytes are 10xxxxxx).
  while (cut > 0 && cut < reason.size() && (static_cast<uint8_t>(reason[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  std::vector<uint8_t> value = {0, 0, static_cast<uint8_t>(code / 100),
                                static_cast<uint8_t>(code % 100)};
  value.insert(value.end(), reason.begin(), reason.begin() + static_cast<std::ptrdiff_t>(cut));
  std::vector<StunAttribute> attrs = {{kStunAttrErrorCode, std::move(value)}};
  if (code == 420 && !request.unknownRequired().empty()) {
    std::vector<uint8_t> list;
    for (const uint16_t t : request.unknownRequired()) stunPut16(list, t);
    attrs.push_back({kStunAttrUnknownAttributes, std::move(list)});
  }
  return stunEncode(stunMessageType(request.method(), StunClass::Error), request.transactionId(),
                    attrs, key, true);
}

std::vector<uint8_t> stunBindingRequest(const std::array<uint8_t, 12>& tid,
                                        std::string_view username, std::string_view key,
                                        uint32_t priority, bool useCandidate,
                                        uint64_t controlling) {
  std::vector<StunAttribute> attrs;
  attrs.push_back({kStunAttrUsername, std::vector<uint8_t>(username.begin(), username.end())});
  attrs.push_back({kStunAttrPriority, stunBe(priority, 4)});
  attrs.push_back({kStunAttrIceControlling, stunBe(controlling, 8)});
  if (useCandidate) attrs.push_back({kStunAttrUseCandidate, {}});
  return stunEncode(stunMessageType(kStunMethodBinding, StunClass::Request), tid, attrs, key, true);
}

std::optional<std::string_view> stunLocalUfrag(const StunMessage& message) {
  const auto user = message.username();
  if (!user) return std::nullopt;
  const size_t colon = user->find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  return user->substr(0, colon);
}

}  // namespace webrtc
