#include "core/loop/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "core/loop/event_loop.hpp"
#include "core/loop/socket_address.hpp"

namespace core {

TcpListener::TcpListener(EventLoop& loop, const std::string& host, uint16_t port, AcceptFn onAccept)
    : loop_(loop), handle_(new uv_tcp_t), onAccept_(std::move(onAccept)) {
  uv_tcp_init(loop.uv(), handle_);
  handle_->data = this;
  auto fail = [&](const char* what, int rc) {
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    throw std::runtime_error(
        fmt::format("listen on {}:{}: {}: {}", host, port, what, uv_strerror(rc)));
  };
  auto addr = socketAddress(host, port);
  if (!addr) fail("bad address", UV_EINVAL);
  if (int rc = uv_tcp_bind(handle_, reinterpret_cast<sockaddr*>(&*addr), 0); rc != 0)
    fail("bind", rc);
  if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(handle_), 511,
                         [](uv_stream_t* s, int status) noexcept {
                           auto* self = static_cast<TcpListener*>(s->data);
                           if (!self) return;
                           try {
                             self->onConnection(status);
                           } catch (const std::exception& e) {
                             spdlog::error("accept handler threw: {}", e.what());
                           }
                         });
      rc != 0)
    fail("listen", rc);
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_tcp_getsockname(handle_, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
}

TcpListener::~TcpListener() {
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
}

void TcpListener::onConnection(int status) {
  if (status != 0) {
    spdlog::warn("accept on port {} failed: {}", port_, uv_strerror(status));
    return;
  }
  auto* client = new uv_tcp_t;
  uv_tcp_init(loop_.uv(), client);
  if (uv_accept(reinterpret_cast<uv_stream_t*>(handle_), reinterpret_cast<uv_stream_t*>(client)) !=
      0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  onAccept_(std::make_unique<TcpConnection>(loop_, client));
}

}  // namespace core
