// UrlSigner: signs and verifies expiring play/publish URLs with HMAC-SHA256 over
// "app/name:expire". Built by main.cpp from AuthConfig, shared read-only by the
// RTMP and HTTP listeners; const methods only, so any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace core {

enum class AuthResult { Ok, Missing, Malformed, Expired, BadSignature };

// A short reason phrase for logs and HTTP bodies, e.g. "signature expired".
const char* toString(AuthResult result);

// URL form: ...?expire=<unix seconds>&sign=<64 hex chars>
// sign = lowercase hex HMAC-SHA256(key, "<app>/<name>:<expire>").
// verify() accepts the hex digits in either case: case carries no information and
// the comparison is on the decoded 32 bytes.
// NOTE: the message is not length-prefixed, so "a/b" + "c" and "a" + "b/c" sign
// the same text; app names must not contain '/' (RTMP app names never do here).
class UrlSigner {
 public:
  // Throws std::invalid_argument on an empty key.
  explicit UrlSigner(std::string key);

  // Throws std::runtime_error only if OpenSSL fails (not on the data path).
  std::string sign(std::string_view app, std::string_view name, int64_t expireUnix) const;

  // `query` is the raw query string ("expire=1700000000&sign=ab12..."), other
  // parameters are ignored. Checked in order: Missing (no expire or no sign),
  // Malformed (bad query, duplicate expire/sign, expire not a non-negative
  // decimal, sign not 64 hex digits), Expired (nowUnix > expire), BadSignature.
  AuthResult verify(std::string_view app, std::string_view name, std::string_view query,
                    int64_t nowUnix) const;

 private:
  std::string key_;
};

}  // namespace core
