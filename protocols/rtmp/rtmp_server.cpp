#include "protocols/rtmp/rtmp_server.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"

namespace rtmp {

RtmpServer::RtmpServer(core::EventLoop& loop, const std::string& host, uint16_t port,
                       core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
                       RtmpOptions options)
    : loop_(loop),
      registry_(registry),
      coalescer_(coalescer),
      options_(options),
      listener_(loop, host, port, [this](std::unique_ptr<core::TcpConnection> conn) {
        auto session =
            std::make_unique<RtmpSession>(*this, std::move(conn), registry_, coalescer_, options_);
        RtmpSession* raw = session.get();
        sessions_.emplace(raw, std::move(session));
        raw->start();
      }) {
  spdlog::info("rtmp: listening on {}:{}", host, listener_.port());
}

RtmpServer::~RtmpServer() {
  closeAll("server shutting down");
}

void RtmpServer::remove(RtmpSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  loop_.deferDelete(std::move(it->second));
  sessions_.erase(it);
}

void RtmpServer::closeAll(std::string_view reason) {
  std::vector<RtmpSession*> all;
  for (auto& [raw, session] : sessions_) all.push_back(raw);
  for (RtmpSession* s : all) s->close(reason);
}

}  // namespace rtmp
