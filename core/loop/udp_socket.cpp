#include "core/loop/udp_socket.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <vector>

#include "core/loop/event_loop.hpp"
#include "core/loop/socket_address.hpp"

namespace core {
namespace {

void closeUdpHandle(uv_udp_t* handle) {
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
}

}  // namespace

UdpSocket::UdpSocket(EventLoop& loop, Handler handler)
    : loop_(loop), handle_(new uv_udp_t), handler_(std::move(handler)) {
  uv_udp_init(loop.uv(), handle_);
  handle_->data = this;
}

std::unique_ptr<UdpSocket> UdpSocket::bind(EventLoop& loop, const std::string& host, uint16_t port,
                                           Handler handler, std::string& error) {
  std::unique_ptr<UdpSocket> s(new UdpSocket(loop, std::move(handler)));
  const std::string where = hostPort(host, port);
  auto addr = socketAddress(host, port);
  if (!addr) {
    error = "bind " + where + ": not an IPv4 or IPv6 address";
    return nullptr;
  }
  // NOTE: an IPv6 socket also takes IPv4 (dual stack; Linux's default) when bound to
  // "::": its IPv4 peers are shown to the handler as plain IPv4 addresses.
  s->ipv6_ = addr->ss_family == AF_INET6;
  if (int rc = uv_udp_bind(s->handle_, reinterpret_cast<sockaddr*>(&*addr), 0); rc != 0) {
    error = "bind " + where + ": " + uv_strerror(rc);
    return nullptr;
  }
  auto alloc = [](uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<UdpSocket*>(h->data);
    if (!self) {
      *buf = uv_buf_init(nullptr, 0);
      return;
    }
    std::span<char> scratch = self->loop_.readBuffer();
    *buf = uv_buf_init(scratch.data(), static_cast<unsigned>(scratch.size()));
  };
  auto read = [](uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from,
                 unsigned flags) noexcept {
    auto* self = static_cast<UdpSocket*>(h->data);
    if (!self) return;
    try {
      self->onRead(n, buf, from, flags);
    } catch (const std::exception& e) {
      spdlog::error("udp port {}: datagram handler threw: {}", self->port_, e.what());
    }
  };
  if (int rc = uv_udp_recv_start(s->handle_, alloc, read); rc != 0) {
    error = "receive on " + where + ": " + uv_strerror(rc);
    return nullptr;
  }
  sockaddr_storage bound{};
  int len = sizeof bound;
  uv_udp_getsockname(s->handle_, reinterpret_cast<sockaddr*>(&bound), &len);
  s->port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                         : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return s;
}

UdpSocket::~UdpSocket() {
  uv_udp_recv_stop(handle_);
  closeUdpHandle(handle_);
}

void UdpSocket::onRead(ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
  // n == 0 with from == nullptr: nothing more to read this turn (libuv's signal).
  if (n < 0) {
    spdlog::debug("udp port {}: receive error: {}", port_, uv_strerror(static_cast<int>(n)));
    return;
  }
  if (!from || n == 0) return;
  if (flags & UV_UDP_PARTIAL) {  // larger than the read buffer: cut, not usable
    ++stats_.dropped;
    return;
  }
  sockaddr_storage source{};
  std::memcpy(&source, from,
              from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
  if (ipv6_) source = unmapIpv4(source);
  ++stats_.received;
  stats_.receivedBytes += static_cast<uint64_t>(n);
  handler_(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(buf->base), size_t(n)),
           source);
}

bool UdpSocket::send(std::span<const std::span<const uint8_t>> parts, const sockaddr_storage& to) {
  std::vector<uv_buf_t>& bufs = loop_.writeScratch();
  bufs.clear();
  size_t bytes = 0;
  for (auto part : parts) {
    // NOTE: uv_udp_try_send copies nothing and returns before the bytes are needed
    // no longer: the kernel has them once it returns.
    bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(part.data())),
                               static_cast<unsigned>(part.size())));
    bytes += part.size();
  }
  const sockaddr_storage dest = ipv6_ ? mapIpv4(to) : to;
  const int rc = uv_udp_try_send(handle_, bufs.data(), static_cast<unsigned>(bufs.size()),
                                 reinterpret_cast<const sockaddr*>(&dest));
  bufs.clear();
  if (rc < 0) {
    ++stats_.dropped;
    return false;
  }
  ++stats_.sent;
  stats_.sentBytes += bytes;
  return true;
}

}  // namespace core
