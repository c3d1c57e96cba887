#include "protocols/rtmp/publish_client.hpp"

#include "core/buffer/byte_io.hpp"
#include "core/format/amf0.hpp"
#include "core/format/flv_tag.hpp"
#include "protocols/rtmp/rtmp_commands.hpp"

namespace rtmp {
namespace {

using core::Amf0Value;

constexpr uint32_t kPublishStreamCsid = 8;  // publish and other NetStream commands
constexpr double kConnectTxn = 1;
constexpr double kReleaseStreamTxn = 2;
constexpr double kFcPublishTxn = 3;
constexpr double kCreateStreamTxn = 4;
constexpr double kFcUnpublishTxn = 5;
constexpr double kDeleteStreamTxn = 6;

// "code: description" of an _error or onStatus information object.
std::string publishClientStatusText(const std::vector<Amf0Value>& v) {
  const Amf0Value* info = v.size() > 3 ? &v[3] : nullptr;
  const Amf0Value* code = info ? info->find("code") : nullptr;
  const Amf0Value* desc = info ? info->find("description") : nullptr;
  std::string text(code ? code->asString("?") : "no code");
  if (desc && !desc->asString().empty()) text += " (" + std::string(desc->asString()) + ")";
  return text.substr(0, 300);
}

}  // namespace

PublishClient::PublishClient(PublishTarget target)
    : target_(std::move(target)),
      handshake_(ClientHandshake::Mode::Digest),
      reader_(ChunkReaderLimits{kMaxPeerMessage, 16, kMaxPeerPending, 0}) {}

std::vector<uint8_t> PublishClient::start() {
  return handshake_.start();
}

std::vector<uint8_t> PublishClient::takeOutput() {
  return std::move(output_);
}

PublishClient::Result PublishClient::fail(std::string reason) {
  state_ = State::Failed;
  error_ = reason;
  return {Status::Error, std::move(reason)};
}

void PublishClient::sendControl(uint8_t type, std::vector<uint8_t> payload) {
  writer_.writeTo(controlMessage(type, std::move(payload)), output_);
}

void PublishClient::sendCommand(uint32_t streamId, std::initializer_list<Amf0Value> values) {
  RtmpMessage m{streamId == 0 ? kCommandCsid : kPublishStreamCsid, msg::kCommandAmf0, 0, streamId,
                core::SharedBuffer::adopt(core::encodeAmf0All(values))};
  writer_.writeTo(m, output_);
}

PublishClient::Result PublishClient::feed(std::span<const uint8_t> bytes) {
  if (state_ == State::Failed) return {Status::Error, error_};
  if (state_ == State::Handshake) {
    const auto hs = handshake_.feed(bytes);
    if (hs.status == HandshakeStatus::Error) return fail("rtmp handshake: " + hs.reason);
    auto c2 = handshake_.takeOutput();
    output_.insert(output_.end(), c2.begin(), c2.end());
    if (hs.status != HandshakeStatus::Done) return {};
    state_ = State::Commands;
    sendControl(msg::kSetChunkSize, setChunkSizePayload(target_.chunkSize));
    writer_.setChunkSize(target_.chunkSize);
    sendCommand(0, {"connect", kConnectTxn,
                    Amf0Value::object({{"app", target_.app},
                                       {"type", "nonprivate"},
                                       {"flashVer", "FMLE/3.0 (compatible; roomcast)"},
                                       {"tcUrl", target_.tcUrl}})});
    const auto leftover = handshake_.takeLeftover();
    if (leftover.empty()) return {};
    return feed(leftover);
  }
  std::vector<RtmpMessage> messages;
  const auto status = reader_.feed(bytes, messages);
  Result result;
  for (const auto& m : messages) {
    Result r = onMessage(m);
    if (r.status == Status::Error) return r;
    if (r.status == Status::Published) result = r;
  }
  if (!status) return fail("rtmp chunk stream: " + status.reason);
  // NOTE: RTMP 1.0 §5.4.3: acknowledge each window's worth of bytes received.
  if (peerWindow_ > 0 && reader_.bytesReceived() - lastAck_ >= peerWindow_) {
    lastAck_ = reader_.bytesReceived();
    sendControl(msg::kAck, ackPayload(static_cast<uint32_t>(lastAck_)));
  }
  return result;
}

PublishClient::Result PublishClient::onMessage(const RtmpMessage& m) {
  switch (m.type) {
    case msg::kCommandAmf0:
      return onCommand(m.payload.span());
    case msg::kCommandAmf3:
      if (m.payload.empty()) return {};
      return onCommand(m.payload.span().subspan(1));
    case msg::kWindowAckSize: {
      core::ByteReader r(m.payload.span());
      const uint32_t window = r.u32();
      if (r.ok()) peerWindow_ = window;
      return {};
    }
    case msg::kUserControl: {
      core::ByteReader r(m.payload.span());
      const uint16_t event = r.u16();
      const uint32_t value = r.u32();
      if (r.ok() && event == event::kPingRequest)
        sendControl(msg::kUserControl, pingResponsePayload(value));
      return {};
    }
    default:
      return {};  // chunk size is applied by the reader; bandwidth, data, media ignored
  }
}

PublishClient::Result PublishClient::onCommand(std::span<const uint8_t> amf) {
  auto decoded = core::Amf0Decoder::decodeAll(amf);
  if (!decoded.ok() || decoded.values.empty())
    return fail("the target sent a command that is not AMF0: " + decoded.error);
  const auto& v = decoded.values;
  const std::string_view name = v[0].asString();
  const double txn = v.size() > 1 ? v[1].asNumber(-1) : -1;
  if (name == "_result" && txn == kConnectTxn && state_ == State::Commands) {
    const std::string& stream = target_.streamName;
    sendCommand(0, {"releaseStream", kReleaseStreamTxn, Amf0Value::null(), stream});
    sendCommand(0, {"FCPublish", kFcPublishTxn, Amf0Value::null(), stream});
    sendCommand(0, {"createStream", kCreateStreamTxn, Amf0Value::null()});
  } else if (name == "_result" && txn == kCreateStreamTxn && state_ == State::Commands) {
    const double id = v.size() > 3 ? v[3].asNumber(-1) : -1;
    if (!(id >= 1 && id <= 0xFFFFFF))
      return fail("the target's createStream result holds no usable stream id");
    streamId_ = static_cast<uint32_t>(id);
    sendCommand(streamId_, {"publish", 0, Amf0Value::null(), target_.streamName, "live"});
  } else if (name == "_error") {
    if (txn == kConnectTxn) return fail("connect refused: " + publishClientStatusText(v));
    if (txn == kCreateStreamTxn) return fail("createStream refused: " + publishClientStatusText(v));
    // releaseStream / FCPublish: many servers answer _error; it does not matter.
  } else if (name == "onStatus") {
    const Amf0Value* info = v.size() > 3 ? &v[3] : nullptr;
    const Amf0Value* code = info ? info->find("code") : nullptr;
    const Amf0Value* level = info ? info->find("level") : nullptr;
    if (code && code->asString() == "NetStream.Publish.Start" && state_ == State::Commands) {
      state_ = State::Publishing;
      return {Status::Published, {}};
    }
    if (level && level->asString() == "error")
      return fail(
          (state_ == State::Publishing ? "the target stopped the publish: " : "publish refused: ") +
          publishClientStatusText(v));
  }
  return {};
}

void PublishClient::appendMedia(std::vector<uint8_t>& out, const core::MediaPacket& packet,
                                uint32_t timestamp) const {
  if (packet.codec == core::Codec::RoomEvent) return;
  const auto body = core::flvBodyOf(packet);
  if (body.empty()) return;
  if (packet.isVideo() || packet.isAudio()) {
    appendMessage(out, packet.isVideo() ? kVideoCsid : kAudioCsid,
                  packet.isVideo() ? msg::kVideo : msg::kAudio, timestamp, streamId_, body,
                  target_.chunkSize);
    return;
  }
  if (packet.config) {
    // NOTE: a publisher sends its metadata as @setDataFrame("onMetaData", {...}):
    // servers (nginx-rtmp, the platforms) keep that form for their players.
    auto data = core::encodeAmf0All({"@setDataFrame"});
    data.insert(data.end(), body.begin(), body.end());
    appendMessage(out, kDataCsid, msg::kDataAmf0, timestamp, streamId_, data, target_.chunkSize);
    return;
  }
  appendMessage(out, kDataCsid, msg::kDataAmf0, timestamp, streamId_, body, target_.chunkSize);
}

std::vector<uint8_t> PublishClient::unpublish() {
  if (state_ == State::Publishing) {
    sendCommand(0, {"FCUnpublish", kFcUnpublishTxn, Amf0Value::null(), target_.streamName});
    sendCommand(0, {"deleteStream", kDeleteStreamTxn, Amf0Value::null(), streamId_});
  }
  return takeOutput();
}

}  // namespace rtmp
