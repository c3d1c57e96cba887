// WsHandshake: the client side of the RFC 6455 opening handshake (the GET with
// Sec-WebSocket-Key, then a 101 with the matching Sec-WebSocket-Accept). Pure
// functions and a small result type; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

// 16 bytes from `seed`, base64: a fresh Sec-WebSocket-Key.
std::string makeWsKey(uint64_t seed);

// base64(SHA-1(key + the RFC 6455 GUID)).
std::string wsAcceptFor(std::string_view key);

std::string wsUpgradeRequest(std::string_view host, std::string_view path, std::string_view key);

struct WsHandshakeResult {
  enum class Status { NeedMore, Ok, Error };
  Status status = Status::NeedMore;
  size_t headerBytes = 0;  // Ok: bytes of the response head; frames start after it
  std::string error;       // Error: what was wrong
};

// Parses the server's answer in `bytes` (the response head may be incomplete).
WsHandshakeResult parseWsUpgradeResponse(std::string_view bytes, std::string_view key);

}  // namespace bench
