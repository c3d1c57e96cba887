#include "protocols/rtmp/rtmp_server.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"

namespace rtmp {

RtmpServer::RtmpServer(core::EventLoop& loop, const std::string& host, uint16_t port,
                       core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
                       RtmpOptions options)
    : registry_(registry),
      coalescer_(coalescer),
      options_(options),
      sessions_(loop),
      listener_(loop, host, port, [this](std::unique_ptr<core::TcpConnection> conn) {
        sessions_
            .add(std::make_unique<RtmpSession>(*this, std::move(conn), registry_, coalescer_,
                                               options_))
            .start();
      }) {
  spdlog::info("rtmp: listening on {}:{}", host, listener_.port());
}

RtmpServer::~RtmpServer() {
  closeAll("server shutting down");
}

}  // namespace rtmp
