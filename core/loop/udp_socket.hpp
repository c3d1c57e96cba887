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

#include "core/loop/socket_address.hpp"

namespace core {

class EventLoop;

class UdpSocket {
 public:
  using Handler =
      std::function<void(std::span<const uint8_t> datagram, const sockaddr_storage& from)>;

  // Binds `host` (an IPv4 or IPv6 address without brackets, "localhost", "0.0.0.0", or
  // "::" for IPv6 and IPv4 both) and `port` (0: any). nullptr and `error` ("bind
  // 127.0.0.1:8000: address already in use") on failure. Peers' addresses are given
  // and taken as IPv4 or IPv6 whatever the socket's family.
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
  bool ipv6() const { return ipv6_; }
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
  bool ipv6_ = false;
  Stats stats_;
};

}  // namespace core
