// RtmpServer: the RTMP listener; owns every RtmpSession. Owned by main(); loop thread.
#pragma once

#include <map>
#include <memory>

#include "core/buffer/byte_budget.hpp"
#include "core/loop/session_set.hpp"
#include "core/loop/tcp_listener.hpp"
#include "protocols/rtmp/rtmp_session.hpp"

namespace rtmp {

class RtmpServer {
 public:
  RtmpServer(core::EventLoop& loop, const std::string& host, uint16_t port,
             core::StreamRegistry& registry, core::WriteCoalescer& coalescer, RtmpOptions options);
  ~RtmpServer();

  // Called by a session that closed itself; it is deleted after this callback.
  void remove(RtmpSession* session) { sessions_.remove(session); }
  void closeAll(std::string_view reason) { sessions_.closeAll(reason); }
  size_t sessionCount() const { return sessions_.size(); }
  uint16_t port() const { return listener_.port(); }

  // Memory in incomplete messages: every session's (rtmp.max_partial_bytes), and the share
  // of it that sessions not yet publishing or playing may use together.
  core::ByteBudget& partialBudget() { return partialBudget_; }
  core::ByteBudget& unauthenticatedPartialBudget() { return unauthenticatedPartialBudget_; }

 private:
  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  RtmpOptions options_;
  // NOTE: before sessions_, so they are destroyed after it (a session's reader gives its
  // bytes back); closed sessions release theirs in close(), before their deferred delete.
  core::ByteBudget partialBudget_;
  core::ByteBudget unauthenticatedPartialBudget_;
  core::SessionSet<RtmpSession> sessions_;
  core::TcpListener listener_;
};

}  // namespace rtmp
