// UserSig: the chat login token of the seed's IM (TLSSigAPIv2), so an existing
// backend's generator works unchanged: HMAC-SHA256 over identifier, app id, time
// and expiry, in zlib-deflated JSON, in that variant of base64 ('*' '-' '_').
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace core {

struct UserSigCheck {
  // 0 ok; else the IM's code: 70001 expired, 70003 unparsable, 70009 bad
  // signature, 70013 identifier mismatch, 70014 app id mismatch.
  int code = 0;
  std::string reason;
  bool ok() const { return code == 0; }
};

std::string generateUserSig(int64_t sdkAppId, std::string_view key, std::string_view identifier,
                            int64_t expireSeconds, int64_t nowUnix);

UserSigCheck verifyUserSig(std::string_view userSig, std::string_view identifier, int64_t sdkAppId,
                           std::string_view key, int64_t nowUnix);

}  // namespace core
