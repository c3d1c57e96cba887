#include "core/auth/url_signer.hpp"

#include <boost/test/unit_test.hpp>
#include <cctype>
#include <ostream>
#include <stdexcept>
#include <string>

namespace core {
// For Boost.Test failure messages.
std::ostream& operator<<(std::ostream& os, AuthResult r) {
  return os << toString(r);
}
}  // namespace core

using core::AuthResult;
using core::UrlSigner;

namespace {

const std::string kKey = "0123456789abcdef-secret";
constexpr int64_t kExpire = 1700000000;
// Computed independently:
//   echo -n "live/cam1:1700000000" | openssl dgst -sha256 -hmac "0123456789abcdef-secret"
const std::string kVector = "0aca5a6149d070985471b52ef49afefb782d915def6a667fd1d9ebc7541d4602";

std::string query(int64_t expire, const std::string& sign) {
  return "expire=" + std::to_string(expire) + "&sign=" + sign;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

BOOST_AUTO_TEST_CASE(known_answer_vector) {
  UrlSigner signer(kKey);
  BOOST_TEST(signer.sign("live", "cam1", kExpire) == kVector);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector), kExpire - 10) ==
             AuthResult::Ok);
}

BOOST_AUTO_TEST_CASE(sign_is_lowercase_hex_of_64) {
  UrlSigner signer("another-key-of-some-length");
  std::string s = signer.sign("app", "stream", 42);
  BOOST_TEST(s.size() == 64u);
  BOOST_TEST(s.find_first_not_of("0123456789abcdef") == std::string::npos);
  BOOST_TEST(s != UrlSigner("another-key-of-some-lengtH").sign("app", "stream", 42));
}

BOOST_AUTO_TEST_CASE(expiry_boundary) {
  UrlSigner signer(kKey);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector), kExpire) == AuthResult::Ok);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector), kExpire + 1) ==
             AuthResult::Expired);
}

BOOST_AUTO_TEST_CASE(missing_parameters) {
  UrlSigner signer(kKey);
  BOOST_TEST(signer.verify("live", "cam1", "", 0) == AuthResult::Missing);
  BOOST_TEST(signer.verify("live", "cam1", "sign=" + kVector, 0) == AuthResult::Missing);
  BOOST_TEST(signer.verify("live", "cam1", "expire=1700000000", 0) == AuthResult::Missing);
  BOOST_TEST(signer.verify("live", "cam1", "expire=1700000000&signature=" + kVector, 0) ==
             AuthResult::Missing);
}

BOOST_AUTO_TEST_CASE(malformed_parameters) {
  UrlSigner signer(kKey);
  const char* badExpires[] = {"",
                              "abc",
                              "-1",
                              "+1700000000",
                              "1700000000x",
                              " 1700000000",
                              "1.5",
                              "99999999999999999999",
                              "0x10"};
  for (const char* e : badExpires) {
    BOOST_TEST(signer.verify("live", "cam1", std::string("expire=") + e + "&sign=" + kVector, 0) ==
                   AuthResult::Malformed,
               e);
  }
  const std::string badSigns[] = {"", kVector.substr(0, 63), kVector + "0",
                                  kVector.substr(0, 63) + "g", kVector.substr(0, 62) + "%20"};
  for (const auto& s : badSigns) {
    BOOST_TEST(signer.verify("live", "cam1", query(kExpire, s), 0) == AuthResult::Malformed, s);
  }
  // Unparseable query, duplicated security parameters.
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector) + "&x=%zz", 0) ==
             AuthResult::Malformed);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector) + "&expire=1", 0) ==
             AuthResult::Malformed);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, kVector) + "&sign=" + kVector, 0) ==
             AuthResult::Malformed);
  BOOST_TEST(signer.verify("live", "cam1", std::string(5000, 'a'), 0) == AuthResult::Malformed);
}

BOOST_AUTO_TEST_CASE(tampering_is_detected) {
  UrlSigner signer(kKey);
  BOOST_TEST(signer.verify("live", "cam2", query(kExpire, kVector), 0) == AuthResult::BadSignature);
  BOOST_TEST(signer.verify("Live", "cam1", query(kExpire, kVector), 0) == AuthResult::BadSignature);
  BOOST_TEST(signer.verify("live", "cam", query(kExpire, kVector), 0) == AuthResult::BadSignature);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire + 1, kVector), 0) ==
             AuthResult::BadSignature);
  std::string flipped = kVector;
  flipped[63] = flipped[63] == '2' ? '3' : '2';
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, flipped), 0) == AuthResult::BadSignature);
  BOOST_TEST(UrlSigner("some-other-key-1234").verify("live", "cam1", query(kExpire, kVector), 0) ==
             AuthResult::BadSignature);
}

BOOST_AUTO_TEST_CASE(extra_params_and_order_ignored) {
  UrlSigner signer(kKey);
  std::string q = "token=x&sign=" + kVector + "&foo=bar&expire=1700000000";
  BOOST_TEST(signer.verify("live", "cam1", q, 0) == AuthResult::Ok);
  BOOST_TEST(signer.verify("live", "cam1", "?" + q, 0) == AuthResult::Ok);
}

// Decision: hex digits are case-insensitive (the decoded bytes are compared), so
// a client that prints uppercase hex still verifies.
BOOST_AUTO_TEST_CASE(uppercase_hex_accepted) {
  UrlSigner signer(kKey);
  BOOST_TEST(signer.verify("live", "cam1", query(kExpire, upper(kVector)), 0) == AuthResult::Ok);
}

BOOST_AUTO_TEST_CASE(reason_phrases) {
  BOOST_TEST(std::string(core::toString(AuthResult::Expired)) == "signature expired");
  BOOST_TEST(std::string(core::toString(AuthResult::Ok)) == "ok");
  for (auto r : {AuthResult::Missing, AuthResult::Malformed, AuthResult::BadSignature}) {
    BOOST_TEST(std::string(core::toString(r)).size() > 5u);
  }
}

BOOST_AUTO_TEST_CASE(empty_key_rejected) {
  BOOST_CHECK_THROW(UrlSigner(""), std::invalid_argument);
}
