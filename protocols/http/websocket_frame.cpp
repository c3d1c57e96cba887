#include "protocols/http/websocket_frame.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "protocols/http/http_message.hpp"

namespace http {
namespace {

constexpr std::string_view kWsGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// True if the comma-separated header value holds `token` (case-insensitive).
bool hasToken(const std::string* value, std::string_view token) {
  if (!value) return false;
  std::string_view rest = *value;
  while (true) {
    const size_t comma = rest.find(',');
    if (equalsNoCase(trimOws(rest.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    rest.remove_prefix(comma + 1);
  }
}

bool isBase64Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
}

// NOTE: 16 bytes encode to 22 base64 characters plus "==" (RFC 6455 4.1: the
// nonce is a randomly selected 16-byte value, base64-encoded).
bool isNonce16(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, isBase64Char);
}

}  // namespace

core::SharedBuffer encodeWsFrame(WsOpcode op, std::string_view payload) {
  const size_t n = payload.size();
  std::vector<uint8_t> out;
  out.reserve(n + 10);
  out.push_back(static_cast<uint8_t>(0x80 | static_cast<uint8_t>(op)));
  // NOTE: RFC 6455 5.2: 7-bit length, or 126 + 16-bit, or 127 + 64-bit, big-endian,
  // always the shortest form; server frames are never masked.
  if (n < 126) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n <= 0xFFFF) {
    out.push_back(126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(127);
    for (int shift = 56; shift >= 0; shift -= 8)
      out.push_back(static_cast<uint8_t>(static_cast<uint64_t>(n) >> shift));
  }
  out.insert(out.end(), payload.begin(), payload.end());
  return core::SharedBuffer::adopt(std::move(out));
}

std::string wsAcceptKey(std::string_view secWebSocketKey) {
  std::string input(trimOws(secWebSocketKey));
  input += kWsGuid;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digestLen = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digestLen, EVP_sha1(), nullptr) != 1)
    return {};
  unsigned char b64[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int len = EVP_EncodeBlock(b64, digest, static_cast<int>(digestLen));
  return std::string(reinterpret_cast<const char*>(b64), static_cast<size_t>(len));
}

std::string checkWsUpgrade(const HttpRequest& req, int* status) {
  int dummy = 0;
  int& code = status ? *status : dummy;
  code = 400;
  if (req.method != "GET") return "websocket upgrade needs GET, not " + req.method;
  if (!req.http11) return "websocket upgrade needs HTTP/1.1";
  if (!hasToken(req.header("upgrade"), "websocket"))
    return "not a websocket upgrade: missing 'Upgrade: websocket' header";
  if (!hasToken(req.header("connection"), "upgrade"))
    return "websocket upgrade without 'Connection: Upgrade' header";
  const std::string* version = req.header("sec-websocket-version");
  if (!version) return "websocket upgrade without Sec-WebSocket-Version header";
  if (trimOws(*version) != "13") {
    code = 426;
    return "unsupported Sec-WebSocket-Version '" + *version + "' (this server speaks 13)";
  }
  const std::string* key = req.header("sec-websocket-key");
  if (!key) return "websocket upgrade without Sec-WebSocket-Key header";
  if (!isNonce16(trimOws(*key)))
    return "malformed Sec-WebSocket-Key (must be the base64 of 16 bytes)";
  // Last, so a HEAD gets what a GET without the upgrade headers would.
  if (req.head) return "websocket upgrade needs GET, not HEAD";
  code = 0;
  return {};
}

std::string_view truncateUtf8(std::string_view text, size_t maxBytes) {
  if (text.size() <= maxBytes) return text;
  size_t end = maxBytes;
  // Back off over continuation bytes (10xxxxxx) so no sequence is cut.
  while (end > 0 && (static_cast<uint8_t>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace http
