#include "protocols/rtmp/rtmp_session.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

#include "core/auth/query_string.hpp"
#include "core/format/flv_tag.hpp"
#include "core/media/stream_name.hpp"
#include "protocols/rtmp/chunk_writer.hpp"
#include "protocols/rtmp/rtmp_commands.hpp"
#include "protocols/rtmp/rtmp_server.hpp"

namespace rtmp {
namespace {

using core::Amf0Value;

// NOTE: until publish or play is granted a peer has only sent a few small commands
// (connect is a few hundred bytes), so it may make us hold little: its incomplete
// messages and its unread replies are bounded by these (and all such peers together
// by a share of rtmp.max_partial_bytes, see RtmpServer).
// How long after a player's deleteStream its PingRequest follows (see stopPlaying).
constexpr uint64_t kStopPingDelayMs = 300;

constexpr size_t kUnauthenticatedPendingBytes = 64 * 1024;
// What every connection may hold outside the shared budgets (so, with the file
// descriptor limit, a bound of its own): enough for its connect and publish commands
// when a crowd has used the unauthenticated share up.
constexpr size_t kUnbudgetedPendingBytes = 4 * 1024;
constexpr size_t kUnauthenticatedUnreadReplyBytes = 64 * 1024;
constexpr size_t kMaxUnreadReplyBytes = 1024 * 1024;
// A queued reply costs a write request of a few hundred bytes however small it is (a
// ping response is 18): bound their number too.
constexpr size_t kMaxUnreadReplies = 256;

// "name?query" -> {name, query}
std::pair<std::string, std::string> splitQuery(std::string_view s) {
  auto q = s.find('?');
  if (q == std::string_view::npos) return {std::string(s), {}};
  return {std::string(s.substr(0, q)), std::string(s.substr(q + 1))};
}

// The wire form every RTMP viewer shares: the FLV tag body chunked at our chunk
// size with fmt-0 headers on the media stream (so forms can follow each other in
// any order).
void appendRtmpMessage(std::vector<uint8_t>& out, const core::MediaPacket& pkt,
                       uint32_t chunkSize) {
  const uint8_t type = pkt.isVideo() ? msg::kVideo : pkt.isAudio() ? msg::kAudio : msg::kDataAmf0;
  const uint32_t csid = pkt.isVideo() ? kVideoCsid : pkt.isAudio() ? kAudioCsid : kDataCsid;
  const auto body = core::flvBodyOf(pkt);
  // A codec FLV cannot carry (Opus, of a WHIP publisher) sends nothing; its AAC
  // variant from the mixer does.
  if (body.empty() && (pkt.isAudio() || pkt.isVideo())) return;
  appendMessage(out, csid, type, core::flvTimestampOf(pkt), kMediaStreamId, body, chunkSize);
}

const core::SharedBuffer& rtmpWireForm(const core::MediaPacket& p, uint32_t chunkSize) {
  return p.wireForm(core::WireFormat::RtmpChunks, [chunkSize](const core::MediaPacket& pkt) {
    std::vector<uint8_t> out;
    appendRtmpMessage(out, pkt, chunkSize);
    return core::SharedBuffer::adopt(std::move(out));
  });
}

}  // namespace

RtmpSession::RtmpSession(RtmpServer& server, std::unique_ptr<core::TcpConnection> conn,
                         core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
                         const RtmpOptions& options)
    : server_(server),
      registry_(registry),
      coalescer_(coalescer),
      options_(options),
      conn_(std::move(conn)),
      reader_(ChunkReaderLimits{options.maxMessageSize, 64, kUnauthenticatedPendingBytes,
                                kUnbudgetedPendingBytes},
              &server.unauthenticatedPartialBudget()),
      idleTimer_(
          conn_->loop(),
          [this] {
            if (closing_)
              close(pendingCloseReason_ + " (the peer did not read the reply)");
            else
              close(handshakeDone_ ? "idle timeout: no data from the peer" : "handshake timeout");
          }),
      stopPingTimer_(
          conn_->loop(),
          [this] {
            if (closed_ || closing_ || subscription_ || lease_) return;
            send(controlBytes(msg::kUserControl,
                              pingRequestPayload(static_cast<uint32_t>(conn_->loop().nowMs())),
                              options_.chunkSize));
          }),
      inputLog_([this] { return "rtmp " + peer() + " " + describeStream(); },
                [&loop = conn_->loop()] { return loop.nowMs(); }) {}

RtmpSession::~RtmpSession() {
  // Members go in reverse order; the sender must go before the connection.
  sender_.reset();
  subscription_.reset();
  lease_.reset();
}

void RtmpSession::start() {
  conn_->setHandler(this);
  conn_->setNoDelay(true);  // status replies must not wait for Nagle
  conn_->startReading();
  idleTimer_.start(static_cast<uint64_t>(options_.handshakeTimeoutMs));
  spdlog::debug("rtmp {}: connected", peer());
}

std::string RtmpSession::describeStream() const {
  if (streamName_.empty()) return app_.empty() ? "-" : app_ + "/-";
  return app_ + "/" + streamName_;
}

void RtmpSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  inputLog_.flush();
  spdlog::info("rtmp {} {}: {} session ended: {} ({} bytes in, {} bytes out)", peer(),
               describeStream(), role_, reason, conn_->bytesRead(), conn_->bytesWritten());
  idleTimer_.stop();
  stopPingTimer_.stop();
  reader_.release();  // its memory goes back to the listener's budget now
  // The sender stays until the destructor (deferred): code that called into it
  // may still be on the stack. Detaching from the Stream now is safe.
  subscription_.reset();
  lease_.reset();
  conn_->close();
  server_.remove(this);
}

void RtmpSession::touch() {
  if (handshakeDone_ && !subscription_)
    idleTimer_.start(static_cast<uint64_t>(options_.idleTimeoutMs));
}

void RtmpSession::onData(std::span<const uint8_t> bytes) {
  if (closed_) return;
  if (!handshakeDone_) {
    onHandshakeData(bytes);
  } else {
    onChunkData(bytes);
  }
}

void RtmpSession::onHandshakeData(std::span<const uint8_t> bytes) {
  const auto result = handshake_.feed(bytes);
  auto out = handshake_.takeOutput();
  if (!out.empty()) send(core::SharedBuffer::adopt(std::move(out)));
  switch (result.status) {
    case HandshakeStatus::Error:
      close("handshake failed: " + result.reason);
      return;
    case HandshakeStatus::NeedMore:
    case HandshakeStatus::SendAndContinue:
      return;
    case HandshakeStatus::Done:
      break;
  }
  handshakeDone_ = true;
  spdlog::debug("rtmp {}: handshake done ({})", peer(),
                handshake_.digestMode() ? "digest" : "simple");
  touch();
  auto leftover = handshake_.takeLeftover();
  if (!leftover.empty()) onChunkData(leftover);
}

void RtmpSession::onChunkData(std::span<const uint8_t> bytes) {
  touch();
  inputLog_.expire();
  std::vector<RtmpMessage> messages;
  const auto status = reader_.feed(bytes, messages);
  for (const auto& m : messages) {
    if (closed_) return;
    handleMessage(m);
  }
  if (closed_) return;
  if (!status) {
    if (!status.overLimit)
      close("protocol error: " + status.reason);
    else
      close(
          std::string(authenticated_ ? "memory limit: " : "memory limit before publish or play: ") +
          status.reason);
    return;
  }
  // NOTE: RTMP 5.4.3: acknowledge once the peer's window worth of bytes arrived.
  if (peerWindowAck_ > 0 && reader_.bytesReceived() - lastAckSent_ >= peerWindowAck_) {
    lastAckSent_ = reader_.bytesReceived();
    send(controlBytes(msg::kAck, ackPayload(static_cast<uint32_t>(lastAckSent_)),
                      options_.chunkSize));
  }
}

void RtmpSession::handleMessage(const RtmpMessage& m) {
  switch (m.type) {
    case msg::kSetChunkSize:
    case msg::kAbort:
    case msg::kAck:
    case msg::kUserControl:
    case msg::kWindowAckSize:
    case msg::kSetPeerBandwidth:
      handleControl(m);
      break;
    case msg::kCommandAmf0:
      handleCommand(m, m.payload.span());
      break;
    case msg::kCommandAmf3:  // AMF3 command: a 0 format byte, then AMF0 values
      if (!m.payload.empty()) handleCommand(m, m.payload.span().subspan(1));
      break;
    case msg::kDataAmf0:
      handleData(m, m.payload.span());
      break;
    case msg::kDataAmf3:
      if (!m.payload.empty()) handleData(m, m.payload.span().subspan(1));
      break;
    case msg::kAudio:
    case msg::kVideo:
      handleMedia(m);
      break;
    case msg::kAggregate:
      handleAggregate(m);
      break;
    default:
      spdlog::debug("rtmp {} {}: ignored message type {}", peer(), describeStream(), m.type);
  }
}

void RtmpSession::handleControl(const RtmpMessage& m) {
  core::ByteReader r(m.payload.span());
  switch (m.type) {
    case msg::kWindowAckSize:
      peerWindowAck_ = r.u32();
      break;
    case msg::kUserControl: {
      const uint16_t event = r.u16();
      if (event == event::kPingRequest && r.ok())
        send(controlBytes(msg::kUserControl, pingResponsePayload(r.u32()), options_.chunkSize));
      break;
    }
    default:
      break;  // chunk size and abort are applied by the reader; acks need nothing
  }
}

void RtmpSession::handleCommand(const RtmpMessage& m, std::span<const uint8_t> amf) {
  auto decoded = core::Amf0Decoder::decodeAll(amf);
  if (!decoded.ok() || decoded.values.empty() || !decoded.values[0].isString()) {
    close("malformed command message: " +
          (decoded.ok() ? std::string("no command name") : decoded.error));
    return;
  }
  const auto& v = decoded.values;
  const std::string name(v[0].asString());
  const double txn = v.size() > 1 ? v[1].asNumber() : 0;
  const Amf0Value* cmdObj = v.size() > 2 ? &v[2] : nullptr;
  spdlog::debug("rtmp {} {}: command {}", peer(), describeStream(), name);

  if (name == "connect") {
    onConnect(txn, cmdObj);
  } else if (name == "createStream") {
    send(resultMessage(txn, Amf0Value::null(), kMediaStreamId, options_.chunkSize));
  } else if (name == "releaseStream" || name == "FCPublish" || name == "FCSubscribe") {
    if (txn != 0)
      send(resultMessage(txn, Amf0Value::null(), Amf0Value::undefined(), options_.chunkSize));
  } else if (name == "publish") {
    onPublish(txn, v);
  } else if (name == "play") {
    onPlay(txn, v);
  } else if (name == "FCUnpublish") {
    stopPublishing("FCUnpublish");
    if (txn != 0)
      send(resultMessage(txn, Amf0Value::null(), Amf0Value::undefined(), options_.chunkSize));
  } else if (name == "deleteStream" || name == "closeStream") {
    if (lease_) stopPublishing(name);
    if (subscription_) stopPlaying();
  } else if (name == "getStreamLength") {
    // A live stream has no length.
    send(resultMessage(txn, Amf0Value::null(), 0, options_.chunkSize));
  } else if (name == "receiveAudio" || name == "receiveVideo") {
    const bool on = v.size() > 3 ? v[3].asBool(true) : true;
    (name == "receiveAudio" ? wantAudio_ : wantVideo_) = on;
  } else if (name == "_checkbw" || name == "_result" || name == "_error" || name == "onBWDone" ||
             name == "pause" || name == "seek") {
    // Nothing to do for a live origin.
  } else {
    inputLog_.warn("unknown command", "unknown command '{}' ignored", name);
    if (txn != 0)
      send(errorMessage(txn, "NetConnection.Call.Failed", "unknown command " + name,
                        options_.chunkSize));
  }
}

void RtmpSession::onConnect(double txn, const Amf0Value* cmdObj) {
  if (!cmdObj || !cmdObj->hasProperties()) {
    close("connect without a command object");
    return;
  }
  const Amf0Value* app = cmdObj->find("app");
  std::tie(app_, appQuery_) = splitQuery(app ? app->asString() : "");
  while (!app_.empty() && app_.back() == '/') app_.pop_back();
  if (const Amf0Value* tc = cmdObj->find("tcUrl")) tcUrl_ = std::string(tc->asString());
  if (!core::isValidStreamName(app_)) {
    send(errorMessage(txn, "NetConnection.Connect.Rejected", "invalid application name",
                      options_.chunkSize));
    closeAfterFlush("connect rejected: invalid app name '" + app_ + "'");
    return;
  }
  send(controlBytes(msg::kWindowAckSize, windowAckSizePayload(options_.windowAckSize), 128));
  send(controlBytes(msg::kSetPeerBandwidth,
                    setPeerBandwidthPayload(options_.windowAckSize, LimitType::Dynamic), 128));
  // The set-chunk-size message itself travels at the default size (128).
  send(controlBytes(msg::kSetChunkSize, setChunkSizePayload(options_.chunkSize), 128));
  send(resultMessage(
      txn, Amf0Value::object({{"fmsVer", "FMS/3,5,7,7009"}, {"capabilities", 31}, {"mode", 1}}),
      Amf0Value::object({{"level", "status"},
                         {"code", "NetConnection.Connect.Success"},
                         {"description", "Connection succeeded."},
                         {"objectEncoding", 0}}),
      options_.chunkSize));
  connected_ = true;
  spdlog::debug("rtmp {}: connect app={} tcUrl={}", peer(), app_, tcUrl_);
}

void RtmpSession::markAuthenticated() {
  if (authenticated_) return;
  authenticated_ = true;
  // NOTE: two messages of the largest size may be in progress at once (audio and video).
  reader_.setMaxPendingBytes(2 * size_t{options_.maxMessageSize});
  reader_.moveToAncestorBudget(server_.partialBudget());
}

bool RtmpSession::authorize(const char* action, const std::string& name, const std::string& query) {
  const bool protect =
      std::string_view(action) == "publish" ? options_.protectPublish : options_.protectPlay;
  if (!options_.signer || !protect) return true;
  // The signature may ride on the stream name or on the app (tcUrl) query.
  const std::string& q = query.empty() ? appQuery_ : query;
  const auto result = options_.signer->verify(app_, name, q, std::time(nullptr));
  if (result == core::AuthResult::Ok) return true;
  spdlog::warn("rtmp {} {}/{}: {} refused: {}", peer(), app_, name, action, core::toString(result));
  return false;
}

void RtmpSession::onPublish(double txn, const std::vector<Amf0Value>& args) {
  if (!connected_) {
    close("publish before connect");
    return;
  }
  if (lease_ || subscription_) {
    sendStatus("error", "NetStream.Publish.BadName", "already publishing or playing");
    return;
  }
  auto [name, query] = splitQuery(args.size() > 3 ? args[3].asString() : "");
  streamName_ = name;
  if (!core::isValidStreamName(name)) {
    sendStatus("error", "NetStream.Publish.BadName", "invalid stream name");
    closeAfterFlush("publish refused: invalid stream name '" + name + "'");
    return;
  }
  if (!authorize("publish", name, query)) {
    sendStatus("error", "NetStream.Publish.Unauthorized", "publish not authorized");
    closeAfterFlush("publish refused: not authorized");
    return;
  }
  std::string error;
  lease_ = registry_.publish(
      app_, name, peer(),
      [this](std::string_view reason) {
        lease_.reset();  // already detached by the registry
        sendStatus("status", "NetStream.Publish.Stop", std::string(reason));
        closeAfterFlush(std::string(reason));
      },
      error);
  if (!lease_) {
    sendStatus("error", "NetStream.Publish.BadName", error);
    closeAfterFlush("publish refused: " + error);
    return;
  }
  timestamps_.reset();
  role_ = "publisher";
  markAuthenticated();
  send(controlBytes(msg::kUserControl, streamBeginPayload(kMediaStreamId), options_.chunkSize));
  sendStatus("status", "NetStream.Publish.Start", describeStream() + " is now published.");
  spdlog::info("rtmp {} {}: publishing", peer(), describeStream());
}

void RtmpSession::onPlay(double txn, const std::vector<Amf0Value>& args) {
  if (!connected_) {
    close("play before connect");
    return;
  }
  if (lease_ || subscription_) {
    sendStatus("error", "NetStream.Play.Failed", "already publishing or playing");
    return;
  }
  auto [name, query] = splitQuery(args.size() > 3 ? args[3].asString() : "");
  streamName_ = name;
  // start (-2 live or recorded, -1 live, >= 0 from a position), duration and reset:
  // a live origin has only "now", so any start plays live; reset decides Play.Reset.
  const double start = args.size() > 4 ? args[4].asNumber(-2) : -2;
  const bool reset = args.size() > 6 ? args[6].asBool(true) : true;
  if (!core::isValidStreamName(name)) {
    sendStatus("error", "NetStream.Play.StreamNotFound", "invalid stream name");
    closeAfterFlush("play refused: invalid stream name '" + name + "'");
    return;
  }
  if (!authorize("play", name, query)) {
    sendStatus("error", "NetStream.Play.Failed", "play not authorized");
    closeAfterFlush("play refused: not authorized");
    return;
  }
  const core::Stream* stream = registry_.find(core::StreamRegistry::makeKey(app_, name));
  if (!stream || !stream->hasPublisher()) {
    sendStatus("error", "NetStream.Play.StreamNotFound", "No such stream: " + describeStream());
    closeAfterFlush("play refused: stream not found");
    return;
  }
  const uint32_t chunkSize = options_.chunkSize;
  sender_ = std::make_unique<core::MediaSender>(
      *conn_, coalescer_, options_.viewerLimits,
      [chunkSize](const core::MediaPacket& p) -> const core::SharedBuffer& {
        return rtmpWireForm(p, chunkSize);
      },
      [this](const std::string& reason) { close(reason); });
  sender_->onBytesSent = [this](uint64_t n) {
    if (subscription_) subscription_->countBytesOut(n);
  };
  sender_->holdRoomEvents(true);  // players that read RTMP with FFmpeg (VLC)
  // Status replies first, so the player is ready before the GOP arrives.
  send(controlBytes(msg::kUserControl, streamBeginPayload(kMediaStreamId), chunkSize));
  if (reset) sendStatus("status", "NetStream.Play.Reset", "Playing and resetting " + name + ".");
  sendStatus("status", "NetStream.Play.Start", "Started playing " + name + ".");
  send(dataMessage({"|RtmpSampleAccess", true, true}, chunkSize));
  send(dataMessage({"onStatus", Amf0Value::object({{"code", "NetStream.Data.Start"}})}, chunkSize));
  if (closed_) return;
  role_ = "player";
  markAuthenticated();
  idleTimer_.stop();
  sender_->beginBurst();
  subscription_ = registry_.subscribe(app_, name, *this, "rtmp");  // found above: cannot fail
  if (closed_) return;
  sender_->endBurst();  // headers and GOP go out now, not at the next merge tick
  if (closed_) return;
  spdlog::info("rtmp {} {}: playing (start {})", peer(), describeStream(), start);
}

void RtmpSession::stopPublishing(std::string_view reason) {
  if (!lease_) return;
  lease_->release(reason);
  lease_.reset();
  sendStatus("status", "NetStream.Unpublish.Success", describeStream() + " is now unpublished.");
  spdlog::info("rtmp {} {}: unpublished ({})", peer(), describeStream(), reason);
}

void RtmpSession::stopPlaying() {
  if (!subscription_) return;
  subscription_.reset();
  sender_.reset();
  // NOTE: Stream EOF (RTMP spec 7.1.7: playback on this stream is over), as nginx-rtmp
  // answers deleteStream. GStreamer's rtmpsrc (librtmp) stops by sending deleteStream
  // and closing its socket while its reader thread sits in recv() on it; close() does
  // not wake that recv, so without a byte from us it waits out librtmp's receive
  // timeout (120 s) and the pipeline does not stop on SIGINT.
  // The EOF alone leaves a race: when it arrives before librtmp's close(), the reader
  // thread consumes it and goes back into recv() before the close, and then nothing
  // wakes it (the close sends no FIN while that recv holds the socket). A PingRequest
  // (7.1.7, event 6) a little later wakes it again; a player that stays connected just
  // answers it.
  send(controlBytes(msg::kUserControl, streamEofPayload(kMediaStreamId), options_.chunkSize));
  stopPingTimer_.start(kStopPingDelayMs);
  spdlog::info("rtmp {} {}: play stopped by the player", peer(), describeStream());
  touch();
}

void RtmpSession::handleData(const RtmpMessage& m, std::span<const uint8_t> amf) {
  if (!lease_) return;
  auto decoded = core::Amf0Decoder::decodeAll(amf);
  if (!decoded.ok() || decoded.values.empty()) {
    inputLog_.warn("malformed data message", "malformed data message dropped: {}", decoded.error);
    recordInput(false, "malformed data message: " + decoded.error);
    return;
  }
  recordInput(true);
  auto& values = decoded.values;
  // "@setDataFrame", "onMetaData", {...} is stored as "onMetaData", {...}.
  if (values[0].asString() == "@setDataFrame") values.erase(values.begin());
  if (values.empty()) return;
  core::MediaPacket packet;
  packet.kind = core::MediaKind::Data;
  packet.codec = core::Codec::Amf0;
  packet.dts = packet.pts = timestamps_.extend(m.timestamp);
  packet.config = values[0].asString() == "onMetaData";
  packet.payload = core::SharedBuffer::adopt(core::encodeAmf0All(values));
  lease_->push(std::move(packet));
}

void RtmpSession::handleMedia(const RtmpMessage& m) {
  if (!lease_) return;
  auto parsed = m.type == msg::kVideo ? core::parseFlvVideo(m.timestamp, m.payload)
                                      : core::parseFlvAudio(m.timestamp, m.payload);
  const char* kind = m.type == msg::kVideo ? "video" : "audio";
  const int64_t dts = timestamps_.extend(m.timestamp);
  if (parsed.isPacket()) {
    ++packetsIn_;
    recordInput(true);
    core::MediaPacket& packet = parsed.packet;
    packet.pts = dts + packet.compositionOffset();
    packet.dts = dts;
    lease_->push(std::move(packet));
  } else if (parsed.isError()) {
    inputLog_.warn("bad media message", "bad {} message dropped: {}", kind, parsed.reason);
    recordInput(false, std::string("bad ") + kind + " message: " + parsed.reason);
  } else {
    recordInput(true);  // well-formed, only not forwarded (e.g. end of sequence)
    if (packetsIn_ == 0 || m.payload.size() > 2)
      inputLog_.debug("ignored media message", "{} message ignored: {}", kind, parsed.reason);
  }
}

void RtmpSession::handleAggregate(const RtmpMessage& m) {
  // An aggregate message is a run of FLV tags; the first one's timestamp maps to
  // the message's, the others keep their offsets from it.
  core::ByteReader r(m.payload.span());
  std::optional<uint32_t> base;
  while (r.remaining() >= core::kFlvTagHeaderSize && !closed_) {
    const size_t at = r.position();
    auto header = core::parseFlvTagHeader(r.bytes(core::kFlvTagHeaderSize));
    if (!header || header->dataSize + 4 > r.remaining()) {
      inputLog_.warn("truncated aggregate message", "truncated aggregate message dropped");
      recordInput(false, "truncated aggregate message");
      return;
    }
    if (!base) base = header->timestampMs;
    RtmpMessage sub{m.csid, header->tagType, m.timestamp + (header->timestampMs - *base),
                    m.streamId, m.payload.slice(at + core::kFlvTagHeaderSize, header->dataSize)};
    r.skip(header->dataSize + 4);
    if (sub.type == msg::kAudio || sub.type == msg::kVideo)
      handleMedia(sub);
    else if (sub.type == msg::kDataAmf0)
      handleData(sub, sub.payload.span());
  }
}

void RtmpSession::recordInput(bool valid, std::string_view what) {
  if (!inputGuard_.record(valid) || closed_) return;
  close("input mostly invalid: " + std::to_string(inputGuard_.invalidInWindow()) + " of the last " +
        std::to_string(inputGuard_.seenInWindow()) +
        " messages unusable (last: " + std::string(what) + ")");
}

void RtmpSession::onStreamStart(const core::Stream& stream) {
  // NOTE: a publisher returning within the grace period is invisible to the
  // player apart from the new headers: ffmpeg/librtmp players stop at
  // UnpublishNotify, so that is only sent when the stream really ends.
}

void RtmpSession::onPacket(const core::MediaPacket& packet) {
  if (!sender_ || closed_) return;
  if (packet.codec == core::Codec::RoomEvent && !options_.roomEvents) return;
  const bool events = packet.leading && options_.roomEvents;
  // NOTE: a batch (onBatch) holds every codec; the other audio codec of a stream with
  // an audio variant (Opus) is left out here as the Stream leaves it out of onPacket.
  if ((packet.isAudio() && (!wantAudio_ || !takesAudio(packet.codec))) ||
      (packet.isVideo() && !wantVideo_)) {
    // The room events that came with it still go, on their own.
    if (events)
      for (const core::MediaPacket& held : packet.leading->packets) sender_->send(held);
    return;
  }
  if (!events) {
    sender_->send(packet);
    return;
  }
  size_t leadBytes = 0;
  const uint32_t chunkSize = options_.chunkSize;
  const auto& bytes = packet.wireFormWithLeading(
      core::WireFormat::RtmpChunks,
      [chunkSize](std::vector<uint8_t>& out, const core::MediaPacket& p) {
        appendRtmpMessage(out, p, chunkSize);
      },
      leadBytes);
  sender_->send(packet, bytes, leadBytes);
}

void RtmpSession::onBatch(const core::PacketBatch& batch, size_t from) {
  if (!sender_ || closed_) return;
  // NOTE: the common case, a viewer in step with the stream: the window's bytes,
  // built once for every such viewer, go out in one write, with no work per packet.
  if (from == 0 && wantAudio_ && wantVideo_ && sender_->inStep(batch)) {
    const bool events = options_.roomEvents;
    const uint32_t chunkSize = options_.chunkSize;
    const auto& bytes = batch.wireForm(
        core::PacketBatch::formIndex(core::WireFormat::RtmpChunks, events),
        [events, chunkSize](std::vector<uint8_t>& out, const core::MediaPacket& p) {
          if (p.codec == core::Codec::RoomEvent && !events) return;
          size_t leadBytes = 0;
          const auto& form =
              p.leading && events
                  ? p.wireFormWithLeading(
                        core::WireFormat::RtmpChunks,
                        [chunkSize](std::vector<uint8_t>& o, const core::MediaPacket& q) {
                          appendRtmpMessage(o, q, chunkSize);
                        },
                        leadBytes)
                  : rtmpWireForm(p, chunkSize);
          out.insert(out.end(), form.data(), form.data() + form.size());
        });
    if (sender_->sendWhole(batch, bytes)) return;
  }
  const auto& packets = batch.packets();
  for (size_t i = from; i < packets.size() && sender_ && !closed_; ++i) onPacket(packets[i]);
  if (sender_ && !closed_) sender_->flush();  // the window has passed already
}

void RtmpSession::onPublisherGone(std::string_view reason) {
  spdlog::debug("rtmp {} {}: publisher gone ({}), waiting for it to return", peer(),
                describeStream(), reason);
}

void RtmpSession::onStreamEnd(std::string_view reason) {
  subscription_.reset();  // already detached by the Stream
  if (sender_) {
    sender_->sendControl(statusMessage("status", "NetStream.Play.UnpublishNotify",
                                       describeStream() + " is now unpublished.",
                                       options_.chunkSize));
    sender_->sendControl(
        controlBytes(msg::kUserControl, streamEofPayload(kMediaStreamId), options_.chunkSize));
    sender_->sendControl(statusMessage("status", "NetStream.Play.Stop",
                                       "Stopped playing " + describeStream() + ".",
                                       options_.chunkSize));
  }
  closeAfterFlush("stream ended: " + std::string(reason));
}

void RtmpSession::send(core::SharedBuffer bytes) {
  if (closed_) return;
  if (sender_) {
    sender_->sendControl(std::move(bytes));
    return;
  }
  // NOTE: a peer that sends pings or commands but never reads our replies
  // must not make us buffer without end.
  const size_t maxBytes = authenticated_ ? kMaxUnreadReplyBytes : kUnauthenticatedUnreadReplyBytes;
  if (conn_->queuedBytes() > maxBytes || conn_->queuedWrites() > kMaxUnreadReplies) {
    close("the peer does not read its replies (" + std::to_string(conn_->queuedBytes()) +
          " bytes in " + std::to_string(conn_->queuedWrites()) + " replies unsent)");
    return;
  }
  conn_->write(bytes);
}

void RtmpSession::sendStatus(std::string_view level, std::string_view code,
                             std::string_view description) {
  send(statusMessage(level, code, description, options_.chunkSize));
}

void RtmpSession::closeAfterFlush(std::string reason) {
  if (closed_ || closing_) return;
  closing_ = true;
  pendingCloseReason_ = std::move(reason);
  if (sender_) sender_->flush();
  conn_->stopReading();
  if (!conn_->writePending()) {
    close(pendingCloseReason_);
    return;
  }
  // A peer that never reads must not keep the session alive.
  idleTimer_.start(2000);
}

void RtmpSession::onDrained() {
  if (sender_) sender_->onDrained();
  if (closing_ && !conn_->writePending()) close(pendingCloseReason_);
}

}  // namespace rtmp
