#include "bench/room/ws_frame.hpp"

#include <cstring>

namespace bench {

void appendWsFrame(std::vector<uint8_t>& out, WsOpcode opcode, std::span<const uint8_t> payload,
                   bool masked, uint32_t maskKey) {
  const size_t n = payload.size();
  const uint8_t maskBit = masked ? 0x80 : 0x00;
  out.push_back(static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode)));
  if (n < 126) {
    out.push_back(static_cast<uint8_t>(maskBit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(maskBit | 126);
    out.push_back(static_cast<uint8_t>(n >> 8));
    out.push_back(static_cast<uint8_t>(n));
  } else {
    out.push_back(maskBit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(n >> shift));
  }
  if (!masked) {
    out.insert(out.end(), payload.begin(), payload.end());
    return;
  }
  const uint8_t key[4] = {static_cast<uint8_t>(maskKey >> 24), static_cast<uint8_t>(maskKey >> 16),
                          static_cast<uint8_t>(maskKey >> 8), static_cast<uint8_t>(maskKey)};
  out.insert(out.end(), key, key + 4);
  const size_t at = out.size();
  out.resize(at + n);
  for (size_t i = 0; i < n; ++i) out[at + i] = payload[i] ^ key[i & 3];
}

bool WsFrameDecoder::feed(std::span<const uint8_t> bytes, Sink& sink) {
  if (!error_.empty()) return false;
  // NOTE: the common case (nothing pending) parses straight from the read buffer;
  // only the tail of a frame cut by the read boundary is copied.
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  if (!pending_.empty()) {
    pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    p = pending_.data();
    n = pending_.size();
  }
  size_t off = 0;
  while (off < n) {
    const size_t used = parseOne(p + off, n - off, sink);
    if (used == kError) return false;
    if (used == 0) break;
    off += used;
  }
  if (!pending_.empty()) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(off));
  } else if (off < n) {
    pending_.assign(p + off, p + n);
  }
  return true;
}

size_t WsFrameDecoder::fail(std::string reason) {
  if (error_.empty()) error_ = std::move(reason);
  return kError;
}

size_t WsFrameDecoder::parseOne(const uint8_t* p, size_t n, Sink& sink) {
  if (n < 2) return 0;
  const bool fin = p[0] & 0x80;
  if (p[0] & 0x70) return fail("websocket: reserved bits set without an extension");
  const uint8_t op = p[0] & 0x0F;
  const bool masked = p[1] & 0x80;
  if (masked && !acceptMasked_) return fail("websocket: masked frame from the server");
  uint64_t len = p[1] & 0x7F;
  size_t head = 2;
  if (len == 126) {
    if (n < 4) return 0;
    len = (uint64_t{p[2]} << 8) | p[3];
    head = 4;
  } else if (len == 127) {
    if (n < 10) return 0;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | p[2 + i];
    if (len >> 63) return fail("websocket: 64-bit length with the top bit set");
    head = 10;
  }
  const bool control = op & 0x08;
  if (op != 0 && op != 1 && op != 2 && op != 8 && op != 9 && op != 10)
    return fail("websocket: unknown opcode " + std::to_string(op));
  if (control && (!fin || len > 125))
    return fail("websocket: control frame fragmented or longer than 125 bytes");
  if (len > maxMessage_)
    return fail("websocket: frame of " + std::to_string(len) + " bytes exceeds the limit of " +
                std::to_string(maxMessage_));
  const size_t maskAt = head;
  if (masked) head += 4;
  if (n < head || n - head < len) return 0;
  std::span<const uint8_t> payload(p + head, static_cast<size_t>(len));
  if (masked) {
    unmasked_.resize(payload.size());
    for (size_t i = 0; i < payload.size(); ++i) unmasked_[i] = payload[i] ^ p[maskAt + (i & 3)];
    payload = unmasked_;
  }
  if (!deliver(static_cast<WsOpcode>(op), fin, payload, sink)) return kError;
  return head + static_cast<size_t>(len);
}

bool WsFrameDecoder::deliver(WsOpcode opcode, bool fin, std::span<const uint8_t> payload,
                             Sink& sink) {
  const auto stop = [this] {
    if (error_.empty()) error_ = "stopped";
    return false;
  };
  if (static_cast<uint8_t>(opcode) & 0x08) return sink.onWsMessage(opcode, payload) || stop();
  if (opcode == WsOpcode::Continuation) {
    if (!inFragment_) return fail("websocket: continuation frame without a first fragment"), false;
    if (fragments_.size() + payload.size() > maxMessage_)
      return fail("websocket: fragmented message exceeds the limit of " +
                  std::to_string(maxMessage_)),
             false;
    fragments_.insert(fragments_.end(), payload.begin(), payload.end());
    if (!fin) return true;
    inFragment_ = false;
    const bool go = sink.onWsMessage(fragmentOpcode_, fragments_);
    fragments_.clear();
    return go || stop();
  }
  if (inFragment_) return fail("websocket: new message inside a fragmented one"), false;
  if (fin) return sink.onWsMessage(opcode, payload) || stop();
  inFragment_ = true;
  fragmentOpcode_ = opcode;
  fragments_.assign(payload.begin(), payload.end());
  return true;
}

}  // namespace bench
