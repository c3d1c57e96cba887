#include "protocols/flv/flv_server.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <regex>

#include "core/format/flv_tag.hpp"
#include "core/loop/event_loop.hpp"

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
bool parseFlvPath(const std::string& path, std::string& app, std::string& name) {
  static const std::regex kPath(R"(^/([A-Za-z0-9_.\-]{1,200})/([A-Za-z0-9_.\-]{1,200})\.flv$)");
  std::smatch m;
  if (!std::regex_match(path, m, kPath)) return false;
  app = m[1];
  name = m[2];
  return true;
}

}  // namespace

FlvSession::FlvSession(FlvServer& server, std::unique_ptr<core::TcpConnection> conn,
                       std::string key)
    : server_(server), conn_(std::move(conn)), key_(std::move(key)) {}

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
  sender_->frame = chunkFrame;
  sender_->sendControl(core::SharedBuffer::adopt(core::flvFileHeader(true, true)));
  subscription_ = registry.subscribe(app, name, *this, "flv");
  if (!subscription_) return false;
  sender_->onBytesSent = [this](uint64_t n) {
    if (subscription_) subscription_->countBytesOut(n);
  };
  sender_->flush();
  spdlog::info("flv {} {}: playing", conn_->peer(), key_);
  return true;
}

void FlvSession::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  spdlog::info("flv {} {}: player session ended: {} ({} bytes out)", conn_->peer(), key_, reason,
               conn_->bytesWritten());
  sender_.reset();
  subscription_.reset();
  conn_->close();
  server_.remove(this);
}

void FlvSession::onDrained() {
  if (sender_) sender_->onDrained();
  if (ending_ && (!sender_ || sender_->idle())) close(endReason_);
}

void FlvSession::onPacket(const core::MediaPacket& packet) {
  if (sender_) sender_->send(packet);
}

void FlvSession::onStreamEnd(std::string_view reason) {
  subscription_.reset();  // already detached by the Stream
  ending_ = true;
  endReason_ = "stream ended: " + std::string(reason);
  // Whatever is queued still goes out; the connection closes after it (players
  // take the end of an HTTP-FLV body as the end of the stream).
  if (sender_) sender_->flush();
  if (!sender_ || sender_->idle()) close(endReason_);
}

FlvServer::FlvServer(core::EventLoop& loop, http::HttpServer& http, core::StreamRegistry& registry,
                     core::WriteCoalescer& coalescer, FlvOptions options)
    : loop_(loop), registry_(registry), coalescer_(coalescer), options_(options) {
  http.route(
      [](const http::HttpRequest& r) {
        return (r.method == "GET" || r.method == "HEAD") && r.path.ends_with(".flv");
      },
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
  if (req.method == "HEAD") {
    http::HttpResponse r;
    r.contentType = "video/x-flv";
    return r;
  }
  auto conn = exchange.takeOver(200, "video/x-flv", {{"Cache-Control", "no-cache"}});
  auto session = std::make_unique<FlvSession>(*this, std::move(conn), key);
  FlvSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  if (!raw->start(registry_, app, name)) raw->close("stream vanished");
  return {};
}

void FlvServer::remove(FlvSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  loop_.deferDelete(std::move(it->second));
  sessions_.erase(it);
}

void FlvServer::closeAll(std::string_view reason) {
  std::vector<FlvSession*> all;
  for (auto& [raw, s] : sessions_) all.push_back(raw);
  for (auto* s : all) s->close(reason);
}

}  // namespace flv
