#include "protocols/flv/flv_server.hpp"

#include <spdlog/spdlog.h>

#include <ctime>

#include "core/format/flv_tag.hpp"
#include "core/loop/event_loop.hpp"
#include "core/media/stream_name.hpp"

namespace flv {
namespace {

const core::SharedBuffer& flvWireForm(const core::MediaPacket& p) {
  return p.wireForm(core::WireFormat::FlvTag,
                    [](const core::MediaPacket& pkt) { return core::flvTagOf(pkt); });
}

// HTTP/1.1 chunked framing of one gather write: "<hex size>\r\n" ... "\r\n".
std::pair<core::SharedBuffer, core::SharedBuffer> chunkFrame(size_t size) {
  static const core::SharedBuffer kCrLf = core::SharedBuffer::copyOf(std::string_view("\r\n"));
  char head[24];
  const int n = snprintf(head, sizeof head, "%zx\r\n", size);
  return {core::SharedBuffer::copyOf(std::string_view(head, static_cast<size_t>(n))), kCrLf};
}

// "/live/demo.flv" -> {"live", "demo"}
bool parseFlvPath(std::string_view path, std::string& app, std::string& name) {
  if (!path.starts_with('/') || !path.ends_with(".flv")) return false;
  path = path.substr(1, path.size() - 1 - 4);
  const auto slash = path.find('/');
  if (slash == std::string_view::npos) return false;
  app = path.substr(0, slash);
  name = path.substr(slash + 1);
  return core::isValidStreamName(app) && core::isValidStreamName(name);
}

}  // namespace

FlvSession::FlvSession(FlvServer& server, std::unique_ptr<core::TcpConnection> conn,
                       std::string key, bool chunked)
    : server_(server),
      conn_(std::move(conn)),
      key_(std::move(key)),
      chunked_(chunked),
      endTimer_(conn_->loop(),
                [this] { close(endReason_ + " (the player did not read the end)"); }) {}

FlvSession::~FlvSession() {
  sender_.reset();
  subscription_.reset();
}

bool FlvSession::start(core::StreamRegistry& registry, const std::string& app,
                       const std::string& name) {
  conn_->setHandler(this);
  conn_->setNoDelay(true);
  conn_->startReading();
  sender_ = std::make_unique<core::MediaSender>(
      *conn_, server_.coalescer_, server_.options_.viewerLimits, flvWireForm,
      [this](const std::string& reason) { close(reason); });
  if (chunked_) sender_->setFrame(chunkFrame);
  sender_->holdRoomEvents(true);  // players that read FLV with FFmpeg (VLC)
  sender_->onBytesSent = [this](uint64_t n) {
    if (subscription_) subscription_->countBytesOut(n);
  };
  sender_->beginBurst();
  // NOTE: a player (mpegts.js, FFmpeg) told of audio waits for it before it plays.
  const core::Stream* stream = registry.find(core::StreamRegistry::makeKey(app, name));
  const bool hasAudio = !(stream && stream->videoOnly());
  sender_->sendControl(core::SharedBuffer::adopt(core::flvFileHeader(hasAudio, true)));
  if (closed_) return true;
  subscription_ = registry.subscribe(app, name, *this, "flv");
  if (!subscription_) return false;
  sender_->endBurst();  // header, codec headers and GOP go out at once
  if (!closed_) spdlog::info("flv {} {}: playing", conn_->peer(), key_);
  return true;
}

void FlvSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  spdlog::info("flv {} {}: player session ended: {} ({} bytes out)", conn_->peer(), key_, reason,
               conn_->bytesWritten());
  // The sender stays until the destructor (deferred): it may be on the stack.
  endTimer_.stop();
  subscription_.reset();
  conn_->close();
  server_.remove(this);
}

void FlvSession::onDrained() {
  if (closed_) return;
  if (sender_) sender_->onDrained();
  if (ending_) finish();
}

void FlvSession::onPacket(const core::MediaPacket& packet) {
  if (!sender_ || closed_) return;
  if (packet.isAudio() && !takesAudio(packet.codec)) {
    // The other audio codec of a stream with an audio variant (Opus), from a batch:
    // only the room events that lead it go.
    if (packet.leading && server_.options_.roomEvents)
      for (const core::MediaPacket& held : packet.leading->packets) sender_->send(held);
    return;
  }
  if (!server_.options_.roomEvents) {
    if (packet.codec != core::Codec::RoomEvent) sender_->send(packet);
    return;
  }
  if (!packet.leading) {
    sender_->send(packet);
    return;
  }
  // The room events released before this packet go in its buffer, built once for
  // every viewer.
  size_t leadBytes = 0;
  const auto& bytes =
      packet.wireFormWithLeading(core::WireFormat::FlvTag, core::appendFlvTag, leadBytes);
  sender_->send(packet, bytes, leadBytes);
}

void FlvSession::onBatch(const core::PacketBatch& batch, size_t from) {
  if (!sender_ || closed_) return;
  // NOTE: as RtmpSession::onBatch: a viewer in step gets the window's tags, built
  // once for all of them, in one chunk.
  if (from == 0 && sender_->inStep(batch)) {
    const bool events = server_.options_.roomEvents;
    const auto& bytes = batch.wireForm(
        core::PacketBatch::formIndex(core::WireFormat::FlvTag, events),
        [events](std::vector<uint8_t>& out, const core::MediaPacket& p) {
          if (p.codec == core::Codec::RoomEvent && !events) return;
          size_t leadBytes = 0;
          const auto& form =
              p.leading && events
                  ? p.wireFormWithLeading(core::WireFormat::FlvTag, core::appendFlvTag, leadBytes)
                  : flvWireForm(p);
          out.insert(out.end(), form.data(), form.data() + form.size());
        });
    if (sender_->sendWhole(batch, bytes)) return;
  }
  const auto& packets = batch.packets();
  for (size_t i = from; i < packets.size() && sender_ && !closed_; ++i) onPacket(packets[i]);
  if (sender_ && !closed_) sender_->flush();  // the window has passed already
}

void FlvSession::onStreamEnd(std::string_view reason) {
  subscription_.reset();  // already detached by the Stream
  if (closed_) return;
  ending_ = true;
  endReason_ = "stream ended: " + std::string(reason);
  // Whatever is queued still goes out, then the last chunk, then the close; a
  // player that stops reading gets two seconds.
  endTimer_.start(2000);
  if (sender_) sender_->flush();
  finish();
}

void FlvSession::finish() {
  if (closed_ || (sender_ && !sender_->idle())) return;
  if (chunked_ && !terminated_) {
    terminated_ = true;
    static const core::SharedBuffer kLastChunk =
        core::SharedBuffer::copyOf(std::string_view("0\r\n\r\n"));
    conn_->write(kLastChunk);           // unframed: it is the chunked body's terminator
    if (conn_->writePending()) return;  // closed in onDrained
  }
  close(endReason_);
}

FlvServer::FlvServer(core::EventLoop& loop, http::HttpServer& http, core::StreamRegistry& registry,
                     core::WriteCoalescer& coalescer, FlvOptions options)
    : registry_(registry), coalescer_(coalescer), options_(options), sessions_(loop) {
  http.route(
      [](const http::HttpRequest& r) { return r.method == "GET" && r.path.ends_with(".flv"); },
      [this](const http::HttpRequest& req, http::HttpExchange& ex) { return serve(req, ex); });
}

FlvServer::~FlvServer() {
  closeAll("server shutting down");
}

http::HttpResponse FlvServer::serve(const http::HttpRequest& req, http::HttpExchange& exchange) {
  std::string app, name;
  if (!parseFlvPath(req.path, app, name))
    return http::HttpResponse::error(400, "expected /{app}/{name}.flv");
  const std::string key = core::StreamRegistry::makeKey(app, name);
  if (options_.signer) {
    const auto result = options_.signer->verify(app, name, req.query, std::time(nullptr));
    if (result != core::AuthResult::Ok) {
      spdlog::warn("flv {} {}: play refused: {}", req.peer, key, core::toString(result));
      return http::HttpResponse::error(
          403, std::string("play not authorized: ") + core::toString(result));
    }
  }
  const core::Stream* stream = registry_.find(key);
  if (!stream || !stream->hasPublisher()) {
    spdlog::info("flv {} {}: play refused: stream not found", req.peer, key);
    return http::HttpResponse::error(404, "stream not found: " + key);
  }
  // HTTP/1.0 clients get the body unframed, ended by closing the connection.
  const bool chunked = req.http11;
  auto conn = exchange.takeOver(200, "video/x-flv", {{"Cache-Control", "no-cache"}}, chunked);
  if (!conn) return {};  // HEAD: the head was the answer
  if (conn->closed()) {
    spdlog::info("flv {} {}: player gone before the stream started", req.peer, key);
    return {};
  }
  FlvSession& session =
      sessions_.add(std::make_unique<FlvSession>(*this, std::move(conn), key, chunked));
  if (!session.start(registry_, app, name)) session.close("stream vanished");
  return {};
}

}  // namespace flv
