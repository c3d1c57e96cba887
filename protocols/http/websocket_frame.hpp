// WebSocket pure helpers (RFC 6455): server->client frame encoding, the handshake
// accept key and the upgrade-request check. No I/O, no state; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/buffer/shared_buffer.hpp"
#include "protocols/http/http_message.hpp"

namespace http {

enum class WsOpcode : uint8_t {
  Continuation = 0,
  Text = 1,
  Binary = 2,
  Close = 8,
  Ping = 9,
  Pong = 10
};

// Close codes we send (RFC 6455 7.4.1).
constexpr uint16_t kWsNormalClosure = 1000;
constexpr uint16_t kWsGoingAway = 1001;
constexpr uint16_t kWsProtocolError = 1002;
constexpr uint16_t kWsInvalidPayload = 1007;
constexpr uint16_t kWsPolicyViolation = 1008;
constexpr uint16_t kWsMessageTooBig = 1009;
constexpr uint16_t kWsInternalError = 1011;
// A close frame's reason fits a control frame: 125 bytes minus the 2-byte code.
constexpr size_t kWsMaxCloseReason = 123;

// One unmasked server->client frame with FIN set, header written by hand, so the
// same bytes can be written to every member of a room (encode once). Control
// opcodes must carry at most 125 bytes (the caller's duty; not checked here).
core::SharedBuffer encodeWsFrame(WsOpcode op, std::string_view payload);

// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")), RFC 6455 4.2.2.
std::string wsAcceptKey(std::string_view secWebSocketKey);

// Checks a WebSocket upgrade request (RFC 6455 4.2.1): GET over HTTP/1.1,
// Upgrade: websocket, Connection with the "upgrade" token, Sec-WebSocket-Version:
// 13, Sec-WebSocket-Key the base64 of 16 bytes. Returns "" when acceptable, else
// the reason, with *status set to 400 (or 426 for a version we do not speak: the
// answer then carries Sec-WebSocket-Version: 13).
std::string checkWsUpgrade(const HttpRequest& req, int* status);

// The longest prefix of `text` of at most `maxBytes` that does not cut a UTF-8
// sequence (close reasons must stay valid UTF-8).
std::string_view truncateUtf8(std::string_view text, size_t maxBytes);

}  // namespace http
