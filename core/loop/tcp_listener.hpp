// TcpListener: a listening socket on the loop handing each accepted connection to
// its owner (the protocol's listener, which owns the sessions). Loop thread only.
// Construction throws if the address cannot be bound (a start-up error).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "core/loop/tcp_connection.hpp"

namespace core {

class EventLoop;

class TcpListener {
 public:
  using AcceptFn = std::function<void(std::unique_ptr<TcpConnection>)>;

  TcpListener(EventLoop& loop, const std::string& host, uint16_t port, AcceptFn onAccept);
  ~TcpListener();
  TcpListener(const TcpListener&) = delete;
  TcpListener& operator=(const TcpListener&) = delete;

  uint16_t port() const { return port_; }  // the bound port (useful when 0 was asked)

 private:
  void onConnection(int status);

  EventLoop& loop_;
  uv_tcp_t* handle_;
  AcceptFn onAccept_;
  uint16_t port_ = 0;
};

}  // namespace core
