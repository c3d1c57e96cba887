#include "core/auth/user_sig.hpp"

#include <zlib.h>

#include <boost/test/unit_test.hpp>

namespace {
constexpr int64_t kApp = 1400000000;
constexpr const char* kKey = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
// Made with an independent implementation of TLSSigAPIv2 (Python: hmac, zlib,
// base64, json) for alice, expire 86400, time 1764154000.
constexpr const char* kVector =
    "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwok5mcmpUInilOzEgoLMFCUrQxMDKIDIpFYUZBalKllZmJnAhEo"
    "yc4EChuZmJoamJnCFxZnpQEP9Kh3DnEocXRINo-LLq7IrCw2dI1PSHIvCylILfaOMHL3N-AKSsyOyy9LTbZVqAa0cMX"
    "w_";
constexpr int64_t kSigned = 1764154000;
}  // namespace

BOOST_AUTO_TEST_CASE(a_usersig_from_another_implementation_verifies) {
  auto r = core::verifyUserSig(kVector, "alice", kApp, kKey, kSigned + 10);
  BOOST_TEST(r.ok(), r.reason);
}

BOOST_AUTO_TEST_CASE(each_failure_has_its_code) {
  BOOST_TEST(core::verifyUserSig(kVector, "alice", kApp, kKey, kSigned + 86400).code == 70001);
  BOOST_TEST(core::verifyUserSig(kVector, "bob", kApp, kKey, kSigned).code == 70013);
  BOOST_TEST(core::verifyUserSig(kVector, "alice", kApp + 1, kKey, kSigned).code == 70014);
  BOOST_TEST(core::verifyUserSig(kVector, "alice", kApp, "another key", kSigned).code == 70009);
  BOOST_TEST(core::verifyUserSig("", "alice", kApp, kKey, kSigned).code == 70003);
  BOOST_TEST(core::verifyUserSig("not*base64!", "alice", kApp, kKey, kSigned).code == 70003);
  BOOST_TEST(core::verifyUserSig("AAAA", "alice", kApp, kKey, kSigned).code == 70003);
  BOOST_TEST(core::verifyUserSig(std::string(5000, 'A'), "alice", kApp, kKey, kSigned).code ==
             70003);
}

BOOST_AUTO_TEST_CASE(generate_then_verify_round_trips) {
  const std::string sig = core::generateUserSig(kApp, kKey, "user_01-x", 3600, 1800000000);
  BOOST_TEST(sig.find_first_of("+/=") == std::string::npos);  // the IM's base64 variant
  BOOST_TEST(core::verifyUserSig(sig, "user_01-x", kApp, kKey, 1800000000 + 3599).ok());
  BOOST_TEST(core::verifyUserSig(sig, "user_01-x", kApp, kKey, 1800000000 + 3600).code == 70001);
}

BOOST_AUTO_TEST_CASE(tampering_any_byte_never_verifies) {
  const std::string sig = core::generateUserSig(kApp, kKey, "alice", 3600, 1800000000);
  // NOTE: the last base64 quantum may carry unused bits, so it is left alone.
  for (size_t i = 0; i + 4 < sig.size(); ++i) {
    std::string t = sig;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    BOOST_TEST(!core::verifyUserSig(t, "alice", kApp, kKey, 1800000000).ok());
  }
}

BOOST_AUTO_TEST_CASE(a_deflate_bomb_is_refused_without_inflating_it_all) {
  std::string zeros(2 * 1024 * 1024, ' ');
  uLongf size = compressBound(zeros.size());
  std::string deflated(size, '\0');
  compress2(reinterpret_cast<Bytef*>(deflated.data()), &size,
            reinterpret_cast<const Bytef*>(zeros.data()), zeros.size(), 9);
  deflated.resize(size);
  BOOST_TEST(deflated.size() < 4096u);  // small enough to pass the size check
  // Encode it as the IM does and check it is refused as unparsable.
  static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-";
  std::string s;
  size_t i = 0;
  for (; i + 2 < deflated.size(); i += 3) {
    uint32_t v =
        (uint8_t(deflated[i]) << 16) | (uint8_t(deflated[i + 1]) << 8) | uint8_t(deflated[i + 2]);
    for (int k = 18; k >= 0; k -= 6) s += b64[(v >> k) & 63];
  }
  if (i < deflated.size()) {
    uint32_t v = uint8_t(deflated[i]) << 16;
    if (i + 1 < deflated.size()) v |= uint8_t(deflated[i + 1]) << 8;
    s += b64[(v >> 18) & 63];
    s += b64[(v >> 12) & 63];
    s += i + 1 < deflated.size() ? b64[(v >> 6) & 63] : '_';
    s += '_';
  }
  BOOST_TEST(core::verifyUserSig(s, "alice", kApp, kKey, kSigned).code == 70003);
}
