// RtmpServer: the RTMP listener; owns every RtmpSession. Owned by main(); loop thread.
#pragma once

#include <map>
#include <memory>

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

 private:
  core::StreamRegistry& registry_;
  core::WriteCoalescer& coalescer_;
  RtmpOptions options_;
  core::SessionSet<RtmpSession> sessions_;
  core::TcpListener listener_;
};

}  // namespace rtmp
