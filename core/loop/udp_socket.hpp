// UdpSocket: one bound UDP socket on the loop (uv_udp_t) for datagram protocols
// (WebRTC's one muxed media port). Each received datagram goes to the handler with
// its source address; a send never blocks: it goes out now (uv_udp_try_send) or is
// dropped and counted when the kernel's buffer is full, as UDP may. Loop thread.
// NOTE: reads use the loop's one read buffer (64 KiB bounds every datagram).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace core {

class EventLoop;

// "1.2.3.4:5" / "[::1]:5" for logs.
std::string formatAddress(const sockaddr_storage& address);
// The address as a map key: family, port, IP (and IPv6 scope) as raw bytes; no
// formatting, no allocation (per datagram on a receive path).
using AddressKey = std::array<uint8_t, 24>;
AddressKey addressKey(const sockaddr_storage& address);
// Same family, address and port (IPv6: and scope).
bool sameAddress(const sockaddr_storage& a, const sockaddr_storage& b);

class UdpSocket {
 public:
  using Handler =
      std::function<void(std::span<const uint8_t> datagram, const sockaddr_storage& from)>;

  // Binds `host` (an IPv4 address, "localhost" or "0.0.0.0") and `port` (0: any).
  // nullptr and `error` ("bind 127.0.0.1:8000: address already in use") on failure.
  static std::unique_ptr<UdpSocket> bind(EventLoop& loop, const std::string& host, uint16_t port,
                                         Handler handler, std::string& error);
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // One datagram of the parts (gathered by the kernel); false when it was dropped.
  bool send(std::span<const std::span<const uint8_t>> parts, const sockaddr_storage& to);
  bool send(std::span<const uint8_t> datagram, const sockaddr_storage& to) {
    return send(std::span<const std::span<const uint8_t>>(&datagram, 1), to);
  }

  uint16_t port() const { return port_; }
  struct Stats {
    uint64_t received = 0, receivedBytes = 0, sent = 0, sentBytes = 0, dropped = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  UdpSocket(EventLoop& loop, Handler handler);
  void onRead(ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags);

  EventLoop& loop_;
  uv_udp_t* handle_;
  Handler handler_;
  uint16_t port_ = 0;
  Stats stats_;
};

}  // namespace core
