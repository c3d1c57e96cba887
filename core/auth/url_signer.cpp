#include "core/auth/url_signer.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <charconv>
#include <optional>
#include <stdexcept>

#include "core/auth/query_string.hpp"

namespace core {

namespace {

constexpr size_t kDigestSize = 32;  // SHA-256
using Digest = std::array<unsigned char, kDigestSize>;

std::string signedText(std::string_view app, std::string_view name, int64_t expire) {
  std::string text;
  text.reserve(app.size() + name.size() + 22);
  text.append(app).append("/").append(name).append(":").append(std::to_string(expire));
  return text;
}

bool hmacSha256(const std::string& key, const std::string& text, Digest& out) {
  unsigned int len = 0;
  unsigned char* ok =
      HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data(), &len);
  return ok != nullptr && len == kDigestSize;
}

int hexNibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Digest> decodeHexDigest(const std::string& hex) {
  if (hex.size() != 2 * kDigestSize) return std::nullopt;
  Digest out{};
  for (size_t i = 0; i < kDigestSize; ++i) {
    int hi = hexNibble(hex[2 * i]);
    int lo = hexNibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

// Digits only (no sign, no spaces), must fit int64.
std::optional<int64_t> parseExpire(const std::string& text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text[0] == '-') return std::nullopt;
  return value;
}

}  // namespace

const char* toString(AuthResult result) {
  switch (result) {
    case AuthResult::Ok:
      return "ok";
    case AuthResult::Missing:
      return "missing expire or sign parameter";
    case AuthResult::Malformed:
      return "malformed expire or sign parameter";
    case AuthResult::Expired:
      return "signature expired";
    case AuthResult::BadSignature:
      return "signature mismatch";
  }
  return "unknown auth result";
}

UrlSigner::UrlSigner(std::string key) : key_(std::move(key)) {
  if (key_.empty()) throw std::invalid_argument("url signer: empty key");
}

std::string UrlSigner::sign(std::string_view app, std::string_view name, int64_t expireUnix) const {
  static constexpr char kHex[] = "0123456789abcdef";
  Digest digest{};
  if (!hmacSha256(key_, signedText(app, name, expireUnix), digest)) {
    throw std::runtime_error("url signer: HMAC-SHA256 failed");
  }
  std::string hex;
  hex.reserve(2 * kDigestSize);
  for (unsigned char b : digest) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xf]);
  }
  return hex;
}

AuthResult UrlSigner::verify(std::string_view app, std::string_view name, std::string_view query,
                             int64_t nowUnix) const {
  QueryString q = QueryString::parse(query);
  if (!q.ok()) return AuthResult::Malformed;
  const std::string* expireText = q.find("expire");
  const std::string* signText = q.find("sign");
  if (!expireText || !signText) return AuthResult::Missing;
  // NOTE: duplicates are rejected so that no two components can read different
  // values out of the same URL (parameter pollution).
  if (q.count("expire") != 1 || q.count("sign") != 1) return AuthResult::Malformed;
  std::optional<int64_t> expire = parseExpire(*expireText);
  std::optional<Digest> given = decodeHexDigest(*signText);
  if (!expire || !given) return AuthResult::Malformed;
  if (nowUnix > *expire) return AuthResult::Expired;
  Digest expected{};
  // The data path does not throw: an OpenSSL failure counts as a mismatch.
  if (!hmacSha256(key_, signedText(app, name, *expire), expected)) return AuthResult::BadSignature;
  // NOTE: constant time, so the comparison leaks no prefix length.
  if (CRYPTO_memcmp(expected.data(), given->data(), kDigestSize) != 0) {
    return AuthResult::BadSignature;
  }
  return AuthResult::Ok;
}

}  // namespace core
