// FlvServer: HTTP-FLV egress (M2). Registers `GET /{app}/{name}.flv` on the HTTP
// server and owns one FlvSession per viewer; each session is a MediaSink writing
// the shared FLV tag bytes of every packet as HTTP chunked data. Owned by main();
// loop thread.
#pragma once

#include <map>
#include <memory>

#include "core/auth/url_signer.hpp"
#include "core/loop/session_set.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/write_coalescer.hpp"
#include "core/media/media_sender.hpp"
#include "core/media/stream_registry.hpp"
#include "protocols/http/http_server.hpp"

namespace flv {

struct FlvOptions {
  core::SendQueue::Limits viewerLimits;
  const core::UrlSigner* signer = nullptr;  // null: play needs no signature
  bool roomEvents = true;                   // carry the room's events (onTextData script tags)
};

class FlvServer;

class FlvSession : public core::TcpConnection::Handler, public core::MediaSink {
 public:
  FlvSession(FlvServer& server, std::unique_ptr<core::TcpConnection> conn, std::string key,
             bool chunked);
  ~FlvSession() override;

  bool start(core::StreamRegistry& registry, const std::string& app, const std::string& name);
  void close(std::string_view reason);

  void onData(std::span<const uint8_t>) override {}  // a player has nothing to say
  void onDisconnect(std::string_view reason) override { close(reason); }
  void onDrained() override;

  void onPacket(const core::MediaPacket& packet) override;
  bool takesLeadingData() const override { return true; }
  bool takesBatches() const override { return true; }
  void onBatch(const core::PacketBatch& batch, size_t from) override;
  void onStreamEnd(std::string_view reason) override;

 private:
  void finish();

  FlvServer& server_;
  std::unique_ptr<core::TcpConnection> conn_;
  std::string key_;
  std::unique_ptr<core::MediaSender> sender_;
  std::unique_ptr<core::Subscription> subscription_;
  bool closed_ = false;
  bool chunked_;
  bool ending_ = false;
  bool terminated_ = false;
  std::string endReason_;
  core::Timer endTimer_;
};

class FlvServer {
 public:
  FlvServer(core::EventLoop& loop, http::HttpServer& http, core::StreamRegistry& registry,
            core::WriteCoalescer& coalescer, FlvOptions options);
  ~FlvServer();

  void closeAll(std::string_view reason) { sessions_.closeAll(reason); }
  size_t sessionCount() const { return sessions_.size(); }

 private:
  friend class FlvSession;
  http::HttpResponse serve(const http::HttpRequest& req, http::HttpExchange& exchange);
  void remove(FlvSession* session) { sessions_.remove(session); }

  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  FlvOptions options_;
  core::SessionSet<FlvSession> sessions_;
};

}  // namespace flv
