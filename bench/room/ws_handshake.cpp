#include "bench/room/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>

namespace bench {
namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxHead = 8192;

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::string makeWsKey(uint64_t seed) {
  unsigned char raw[16];
  uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (int i = 0; i < 16; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    raw[i] = static_cast<unsigned char>(x >> 24);
  }
  return base64(raw, sizeof raw);
}

std::string wsAcceptFor(std::string_view key) {
  std::string text(key);
  text += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return base64(digest, sizeof digest);
}

std::string wsUpgradeRequest(std::string_view host, std::string_view path, std::string_view key) {
  std::string r;
  r.reserve(256);
  r.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  r.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  r.append("\r\nSec-WebSocket-Version: 13\r\n\r\n");
  return r;
}

WsHandshakeResult parseWsUpgradeResponse(std::string_view bytes, std::string_view key) {
  using Status = WsHandshakeResult::Status;
  WsHandshakeResult r;
  const size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > kMaxHead) {
      r.status = Status::Error;
      r.error = "upgrade: response head longer than 8 KiB";
    }
    return r;
  }
  r.headerBytes = end + 4;
  std::string_view head = bytes.substr(0, end + 2);
  const size_t lineEnd = head.find("\r\n");
  const std::string_view statusLine = head.substr(0, lineEnd);
  r.status = Status::Error;
  if (statusLine.size() < 12 || statusLine.substr(0, 5) != "HTTP/" ||
      statusLine.substr(9, 3) != "101") {
    r.error = "upgrade: expected 101, got \"" + std::string(statusLine.substr(0, 80)) + "\"";
    return r;
  }
  bool upgrade = false;
  std::string accept;
  head.remove_prefix(lineEnd + 2);
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (equalsNoCase(name, "Upgrade")) upgrade = equalsNoCase(value, "websocket");
    if (equalsNoCase(name, "Sec-WebSocket-Accept")) accept = value;
  }
  if (!upgrade) {
    r.error = "upgrade: 101 without \"Upgrade: websocket\"";
  } else if (accept != wsAcceptFor(key)) {
    r.error = "upgrade: Sec-WebSocket-Accept \"" + accept + "\" does not match the key";
  } else {
    r.status = Status::Ok;
  }
  return r;
}

}  // namespace bench
