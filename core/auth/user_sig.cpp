#include "core/auth/user_sig.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <nlohmann/json.hpp>

#include "core/format/json_text.hpp"

namespace core {
namespace {

// NOTE: a UserSig is a few hundred bytes; anything far larger is not one, and
// the inflated JSON is bounded too (a zip bomb must not cost memory).
constexpr size_t kMaxUserSigBytes = 4096;
constexpr size_t kMaxJsonBytes = 16 * 1024;

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3), '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool unbase64(std::string_view in, std::string& out) {
  if (in.size() % 4 != 0) return false;
  out.assign(3 * in.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return false;
  size_t padding = 0;
  while (padding < 2 && padding < in.size() && in[in.size() - 1 - padding] == '=') ++padding;
  out.resize(static_cast<size_t>(n) - padding);
  return true;
}

std::string hmacSignature(std::string_view key, std::string_view identifier, int64_t sdkAppId,
                          int64_t time, int64_t expire) {
  const std::string content = "TLS.identifier:" + std::string(identifier) + "\n" +
                              "TLS.sdkappid:" + std::to_string(sdkAppId) + "\n" +
                              "TLS.time:" + std::to_string(time) + "\n" +
                              "TLS.expire:" + std::to_string(expire) + "\n";
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(content.data()), content.size(), mac, &len);
  return base64(mac, len);
}

// The IM's URL-safe variant: '+' -> '*', '/' -> '-', '=' -> '_'.
std::string fromImBase64(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = c == '*' ? '+' : c == '-' ? '/' : c == '_' ? '=' : c;
  return out;
}

bool inflateBounded(const std::string& in, std::string& out) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return false;
  out.assign(kMaxJsonBytes, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&z, Z_FINISH);
  out.resize(z.total_out);
  inflateEnd(&z);
  return rc == Z_STREAM_END;
}

}  // namespace

std::string generateUserSig(int64_t sdkAppId, std::string_view key, std::string_view identifier,
                            int64_t expireSeconds, int64_t nowUnix) {
  nlohmann::json doc = {
      {"TLS.ver", "2.0"},
      {"TLS.identifier", identifier},
      {"TLS.sdkappid", sdkAppId},
      {"TLS.expire", expireSeconds},
      {"TLS.time", nowUnix},
      {"TLS.sig", hmacSignature(key, identifier, sdkAppId, nowUnix, expireSeconds)}};
  const std::string json = dumpJson(doc);
  uLongf size = compressBound(json.size());
  std::string deflated(size, '\0');
  compress2(reinterpret_cast<Bytef*>(deflated.data()), &size,
            reinterpret_cast<const Bytef*>(json.data()), json.size(), Z_BEST_COMPRESSION);
  deflated.resize(size);
  std::string out = base64(reinterpret_cast<const unsigned char*>(deflated.data()), size);
  for (char& c : out) c = c == '+' ? '*' : c == '/' ? '-' : c == '=' ? '_' : c;
  return out;
}

UserSigCheck verifyUserSig(std::string_view userSig, std::string_view identifier, int64_t sdkAppId,
                           std::string_view key, int64_t nowUnix) {
  if (userSig.empty() || userSig.size() > kMaxUserSigBytes)
    return {70003, "UserSig is empty or too long"};
  std::string deflated, json;
  if (!unbase64(fromImBase64(userSig), deflated)) return {70003, "UserSig is not base64"};
  if (!inflateBounded(deflated, json)) return {70003, "UserSig does not inflate"};
  const auto doc = readJson(json, kMaxJsonBytes).value;
  if (!doc.is_object()) return {70003, "UserSig is not a JSON object"};
  auto str = [&](const char* k) -> const std::string* {
    auto it = doc.find(k);
    return it != doc.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
  };
  auto num = [&](const char* k, int64_t& v) {
    auto it = doc.find(k);
    if (it == doc.end() || !it->is_number_integer()) return false;
    v = it->get<int64_t>();
    return true;
  };
  const std::string* ver = str("TLS.ver");
  const std::string* id = str("TLS.identifier");
  const std::string* sig = str("TLS.sig");
  int64_t appId = 0, time = 0, expire = 0;
  if (!ver || !id || !sig || !num("TLS.sdkappid", appId) || !num("TLS.time", time) ||
      !num("TLS.expire", expire))
    return {70003, "UserSig lacks a field"};
  if (*ver != "2.0") return {70003, "UserSig version " + *ver + " is not 2.0"};
  if (*id != identifier) return {70013, "UserSig was issued to another user id"};
  if (appId != sdkAppId) return {70014, "UserSig was issued for app id " + std::to_string(appId)};
  const std::string expected = hmacSignature(key, *id, appId, time, expire);
  if (expected.size() != sig->size() ||
      CRYPTO_memcmp(expected.data(), sig->data(), sig->size()) != 0)
    return {70009, "UserSig signature does not match"};
  if (time + expire <= nowUnix) return {70001, "UserSig expired"};
  return {};
}

}  // namespace core
