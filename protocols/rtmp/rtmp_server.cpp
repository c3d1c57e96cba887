#include "protocols/rtmp/rtmp_server.hpp"

#include <spdlog/spdlog.h>

#include "core/loop/event_loop.hpp"

namespace rtmp {
namespace {

// NOTE: peers that have not been allowed to publish or play share a quarter of the
// budget, so a crowd of them cannot starve the publishers of the rest.
constexpr size_t kUnauthenticatedShareDivisor = 4;

}  // namespace

RtmpServer::RtmpServer(core::EventLoop& loop, const std::string& host, uint16_t port,
                       core::StreamRegistry& registry, core::WriteCoalescer& coalescer,
                       RtmpOptions options)
    : registry_(registry),
      coalescer_(coalescer),
      options_(options),
      partialBudget_("rtmp.max_partial_bytes", options.maxPartialBytes),
      unauthenticatedPartialBudget_(
          "the share of rtmp.max_partial_bytes for connections not yet publishing or playing",
          options.maxPartialBytes / kUnauthenticatedShareDivisor, &partialBudget_),
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
