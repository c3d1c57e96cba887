#include "core/loop/udp_socket.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <cstring>
#include <vector>

#include "core/loop/event_loop.hpp"

namespace core {
namespace {

void closeUdpHandle(uv_udp_t* handle) {
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_udp_t*>(h); });
}

}  // namespace

std::string formatAddress(const sockaddr_storage& address) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (address.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(address);
    inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &a.sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(a.sin6_port));
  }
  return "?";
}

AddressKey addressKey(const sockaddr_storage& address) {
  AddressKey key{};
  key[0] = static_cast<uint8_t>(address.ss_family);
  if (address.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(address);
    std::memcpy(&key[1], &a.sin_port, 2);
    std::memcpy(&key[3], &a.sin_addr, 4);
  } else if (address.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
    std::memcpy(&key[1], &a.sin6_port, 2);
    std::memcpy(&key[3], &a.sin6_addr, 16);
    std::memcpy(&key[19], &a.sin6_scope_id, 4);
  }
  return key;
}

bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    const auto& x = reinterpret_cast<const sockaddr_in&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in&>(b);
    return x.sin_port == y.sin_port && x.sin_addr.s_addr == y.sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    const auto& x = reinterpret_cast<const sockaddr_in6&>(a);
    const auto& y = reinterpret_cast<const sockaddr_in6&>(b);
    return x.sin6_port == y.sin6_port && x.sin6_scope_id == y.sin6_scope_id &&
           std::memcmp(&x.sin6_addr, &y.sin6_addr, sizeof x.sin6_addr) == 0;
  }
  return false;
}

UdpSocket::UdpSocket(EventLoop& loop, Handler handler)
    : loop_(loop), handle_(new uv_udp_t), handler_(std::move(handler)) {
  uv_udp_init(loop.uv(), handle_);
  handle_->data = this;
}

std::unique_ptr<UdpSocket> UdpSocket::bind(EventLoop& loop, const std::string& host, uint16_t port,
                                           Handler handler, std::string& error) {
  std::unique_ptr<UdpSocket> s(new UdpSocket(loop, std::move(handler)));
  const std::string where = host + ":" + std::to_string(port);
  sockaddr_in addr{};
  const std::string ip = host == "localhost" ? "127.0.0.1" : host;
  if (int rc = uv_ip4_addr(ip.c_str(), port, &addr); rc != 0) {
    error = "bind " + where + ": bad address: " + uv_strerror(rc);
    return nullptr;
  }
  if (int rc = uv_udp_bind(s->handle_, reinterpret_cast<sockaddr*>(&addr), 0); rc != 0) {
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
  s->port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
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
  const int rc = uv_udp_try_send(handle_, bufs.data(), static_cast<unsigned>(bufs.size()),
                                 reinterpret_cast<const sockaddr*>(&to));
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
