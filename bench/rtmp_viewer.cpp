#include "bench/rtmp_viewer.hpp"

#include "core/buffer/byte_io.hpp"
#include "core/format/flv_tag.hpp"

namespace bench {
namespace {

using core::Amf0Value;
namespace msg = rtmp::msg;

constexpr uint32_t kCommandCsid = 3;
constexpr uint32_t kStreamCsid = 8;  // play and other NetStream commands
constexpr double kConnectTxn = 1;
constexpr double kCreateStreamTxn = 2;
constexpr uint32_t kOurWindowAckSize = 2500000;
constexpr uint32_t kBufferLengthMs = 3000;

// NOTE: every viewer's messages are handled synchronously inside its read callback,
// so one scratch vector serves the whole loop and keeps its capacity (no per-read
// allocation).
std::vector<rtmp::RtmpMessage>& scratchMessages() {
  static std::vector<rtmp::RtmpMessage> messages;
  return messages;
}

}  // namespace

RtmpViewer::RtmpViewer(core::EventLoop& loop, const LoadTarget& target, int id)
    : Viewer(loop, target, id) {}

void RtmpViewer::onConnected() {
  send(handshake_.start());
}

void RtmpViewer::onBytes(std::span<const uint8_t> bytes) {
  if (!handshake_.done()) {
    onHandshakeBytes(bytes);
  } else {
    onChunkBytes(bytes);
  }
}

void RtmpViewer::onHandshakeBytes(std::span<const uint8_t> bytes) {
  const auto result = handshake_.feed(bytes);
  if (result.status == rtmp::HandshakeStatus::Error) {
    fail("handshake: " + result.reason);
    return;
  }
  if (auto out = handshake_.takeOutput(); !out.empty()) send(std::move(out));
  if (result.status != rtmp::HandshakeStatus::Done) return;
  sendCommand(0, {"connect", kConnectTxn,
                  Amf0Value::object({{"app", target_.app},
                                     {"type", "nonprivate"},
                                     {"flashVer", "LNX 9,0,124,2"},
                                     {"tcUrl", target_.tcUrl},
                                     {"fpad", false},
                                     {"capabilities", 15},
                                     {"audioCodecs", 4071},
                                     {"videoCodecs", 252},
                                     {"videoFunction", 1}})});
  auto leftover = handshake_.takeLeftover();
  if (!leftover.empty()) onChunkBytes(leftover);
}

void RtmpViewer::onChunkBytes(std::span<const uint8_t> bytes) {
  auto& messages = scratchMessages();
  messages.clear();
  const auto status = reader_.feed(bytes, messages);
  for (const auto& m : messages) {
    if (!connected()) break;
    handleMessage(m);
  }
  messages.clear();  // drop the payload references now
  if (!connected()) return;
  if (!status) {
    fail("chunk stream: " + status.reason);
    return;
  }
  // NOTE: RTMP 1.0 §5.4.3: acknowledge each time a window's worth of bytes arrived.
  if (ackWindow_ > 0 && reader_.bytesReceived() - lastAckAt_ >= ackWindow_) {
    lastAckAt_ = reader_.bytesReceived();
    sendMessage(rtmp::kControlCsid, msg::kAck, 0,
                rtmp::ackPayload(static_cast<uint32_t>(lastAckAt_)));
  }
}

void RtmpViewer::handleMessage(const rtmp::RtmpMessage& m) {
  switch (m.type) {
    case msg::kAudio:
      noteMedia(m.timestamp, false);
      break;
    case msg::kVideo: {
      const auto p = m.payload.span();
      noteMedia(m.timestamp, p.size() >= 2 && isVideoKeyframe(p[0], p[1], p.size()));
      break;
    }
    case msg::kAggregate:
      handleAggregate(m);
      break;
    case msg::kCommandAmf0:
      handleCommand(m.payload.span());
      break;
    case msg::kCommandAmf3:
      if (!m.payload.empty()) handleCommand(m.payload.span().subspan(1));
      break;
    case msg::kWindowAckSize:
    case msg::kUserControl:
      handleControl(m);
      break;
    default:
      break;  // chunk size is applied by the reader; metadata and the rest are ignored
  }
}

void RtmpViewer::handleControl(const rtmp::RtmpMessage& m) {
  core::ByteReader r(m.payload.span());
  if (m.type == msg::kWindowAckSize) {
    const uint32_t window = r.u32();
    if (r.ok()) ackWindow_ = window;
    return;
  }
  const uint16_t event = r.u16();
  const uint32_t value = r.u32();
  if (r.ok() && event == rtmp::event::kPingRequest)
    sendMessage(rtmp::kControlCsid, msg::kUserControl, 0, rtmp::pingResponsePayload(value));
}

void RtmpViewer::handleCommand(std::span<const uint8_t> amf) {
  auto decoded = core::Amf0Decoder::decodeAll(amf);
  if (!decoded.ok() || decoded.values.empty()) return;  // tolerate odd server extras
  const auto& v = decoded.values;
  const std::string_view name = v[0].asString();
  const double txn = v.size() > 1 ? v[1].asNumber(-1) : -1;
  if (name == "_result" && txn == kConnectTxn) {
    sendMessage(rtmp::kControlCsid, msg::kWindowAckSize, 0,
                rtmp::windowAckSizePayload(kOurWindowAckSize));
    sendCommand(0, {"createStream", kCreateStreamTxn, Amf0Value::null()});
  } else if (name == "_result" && txn == kCreateStreamTxn) {
    mediaStreamId_ = v.size() > 3 ? static_cast<uint32_t>(v[3].asNumber(1)) : 1;
    sendCommand(mediaStreamId_, {"play", 0, Amf0Value::null(), target_.name, -2});
    sendMessage(rtmp::kControlCsid, msg::kUserControl, 0,
                rtmp::setBufferLengthPayload(mediaStreamId_, kBufferLengthMs));
  } else if (name == "_error") {
    const auto* info = v.size() > 3 ? v[3].find("code") : nullptr;
    fail("command refused: " + std::string(info ? info->asString() : "_error"));
  } else if (name == "onStatus" && v.size() > 3) {
    const auto* code = v[3].find("code");
    const auto* level = v[3].find("level");
    const std::string_view c = code ? code->asString() : "";
    if (c == "NetStream.Play.Start") {
      notePlayStart();
    } else if (level && level->asString() == "error") {
      fail("play refused: " + std::string(c));
    }
  }
}

void RtmpViewer::handleAggregate(const rtmp::RtmpMessage& m) {
  // NOTE: an aggregate holds FLV tags whose timestamps are relative to the first
  // sub-tag; the message timestamp is that first sub-tag's time on the wire.
  auto body = m.payload.span();
  bool first = true;
  uint32_t firstTs = 0;
  while (body.size() >= core::kFlvTagHeaderSize) {
    const auto h = core::parseFlvTagHeader(body);
    if (!h || body.size() < core::kFlvTagHeaderSize + h->dataSize) return;
    const auto data = body.subspan(core::kFlvTagHeaderSize, h->dataSize);
    if (first) firstTs = h->timestampMs;
    first = false;
    const uint32_t ts = m.timestamp + (h->timestampMs - firstTs);
    if (h->tagType == core::kFlvTagAudio) noteMedia(ts, false);
    if (h->tagType == core::kFlvTagVideo)
      noteMedia(ts, data.size() >= 2 && isVideoKeyframe(data[0], data[1], data.size()));
    const size_t step = core::kFlvTagHeaderSize + h->dataSize + core::kFlvPreviousTagSizeBytes;
    if (body.size() < step) return;
    body = body.subspan(step);
  }
}

void RtmpViewer::sendMessage(uint32_t csid, uint8_t type, uint32_t streamId,
                             std::vector<uint8_t> payload) {
  rtmp::RtmpMessage m{csid, type, 0, streamId, core::SharedBuffer::adopt(std::move(payload))};
  send(writer_.write(m));
}

void RtmpViewer::sendCommand(uint32_t streamId, std::initializer_list<Amf0Value> values) {
  sendMessage(streamId == 0 ? kCommandCsid : kStreamCsid, msg::kCommandAmf0, streamId,
              core::encodeAmf0All(values));
}

}  // namespace bench
