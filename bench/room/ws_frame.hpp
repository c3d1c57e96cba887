// WsFrame: the tiny RFC 6455 frame codec of roomcast-room-load: masked client frames
// out, an incremental parser (7/16/64-bit lengths, fragments reassembled) in.
// Owned by one RoomMember each; loop thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace bench {

enum class WsOpcode : uint8_t {
  Continuation = 0x0,
  Text = 0x1,
  Binary = 0x2,
  Close = 0x8,
  Ping = 0x9,
  Pong = 0xA,
};

// Appends one FIN frame. A client MUST mask (RFC 6455 5.3): `masked` with `maskKey`;
// unmasked frames are what a server sends (used by the self-test).
void appendWsFrame(std::vector<uint8_t>& out, WsOpcode opcode, std::span<const uint8_t> payload,
                   bool masked, uint32_t maskKey);

class WsFrameDecoder {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // A whole message (Text/Binary, reassembled) or a control frame (Close/Ping/Pong).
    // The span is valid during the call only. Return false to stop decoding.
    virtual bool onWsMessage(WsOpcode opcode, std::span<const uint8_t> payload) = 0;
  };

  // `acceptMasked`: false on the client side (a masked server frame is an error,
  // RFC 6455 5.1); true to decode client frames (self-test).
  explicit WsFrameDecoder(size_t maxMessage = 1 << 20, bool acceptMasked = false)
      : maxMessage_(maxMessage), acceptMasked_(acceptMasked) {}

  // Decodes every complete frame in pending + `bytes`, keeps the partial rest.
  // Returns false on a protocol error (error() names it) or when the sink stopped;
  // no call after that may be made.
  bool feed(std::span<const uint8_t> bytes, Sink& sink);
  const std::string& error() const { return error_; }
  size_t pendingBytes() const { return pending_.size(); }

 private:
  static constexpr size_t kError = SIZE_MAX;
  // Bytes consumed by one frame, 0 = need more, kError = protocol error / stop.
  size_t parseOne(const uint8_t* p, size_t n, Sink& sink);
  bool deliver(WsOpcode opcode, bool fin, std::span<const uint8_t> payload, Sink& sink);
  size_t fail(std::string reason);

  size_t maxMessage_;
  bool acceptMasked_;
  std::vector<uint8_t> pending_;    // the bytes of an incomplete frame
  std::vector<uint8_t> fragments_;  // a fragmented message being reassembled
  std::vector<uint8_t> unmasked_;   // scratch for masked frames
  WsOpcode fragmentOpcode_ = WsOpcode::Text;
  bool inFragment_ = false;
  std::string error_;
};

}  // namespace bench
