// UdpSocket: one bound UDP socket on the loop (uv_udp_t) for datagram protocols
// (WebRTC's one muxed media port). Each received datagram goes to the handler with
// its source address; a send never blocks: it goes out now (uv_udp_try_send), or is
// queued and goes with the loop turn's others in one sendmmsg(2) (media), or is
// dropped and counted when the kernel's buffer is full, as UDP may. Loop thread.
// NOTE: reads use the loop's one read buffer (64 KiB bounds every datagram).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>
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

  // Queues one datagram (a copy) to leave with the others queued in this loop turn:
  // one sendmmsg(2) per kBatchSize datagrams, before the loop next waits for I/O (or at
  // once when the batch is full). What the kernel refuses then (its buffer full) is
  // dropped and counted in stats().dropped, never waited for. A datagram bigger than
  // a batch slot goes out at once by send() (after the queued ones); false only then,
  // when it was dropped.
  bool queue(std::span<const uint8_t> datagram, const sockaddr_storage& to);
  // Sends the queued datagrams now (the loop does it; also on destruction).
  void flush();
  static constexpr size_t kBatchSize = 64;
  static constexpr size_t kBatchSlotBytes = 1500;  // an Ethernet MTU

  // Tests only: the call flush() makes in place of ::sendmmsg (a kernel buffer that
  // fills cannot be had on loopback, whose sends never wait).
  using SendMmsg = int (*)(int fd, mmsghdr* messages, unsigned count, int flags);
  void setSendMmsgForTest(SendMmsg call) { sendMmsg_ = call; }

  uint16_t port() const { return port_; }
  bool ipv6() const { return ipv6_; }
  struct Stats {
    uint64_t received = 0, receivedBytes = 0, sent = 0, sentBytes = 0, dropped = 0;
    uint64_t queued = 0, batchCalls = 0;  // datagrams queued, sendmmsg calls made
  };
  const Stats& stats() const { return stats_; }

 private:
  UdpSocket(EventLoop& loop, Handler handler);
  void onRead(ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags);

  void flushFrom(size_t first);
  sockaddr_storage destination(const sockaddr_storage& to) const;

  EventLoop& loop_;
  uv_udp_t* handle_;
  Handler handler_;
  uv_prepare_t* flusher_;  // runs flush() before the loop waits, while a batch is queued
  // The batch: datagram i is batchBytes_[i * kBatchSlotBytes ...], its length in
  // batchIov_[i], its destination in batchAddr_[i].
  std::unique_ptr<uint8_t[]> batchBytes_;
  std::array<mmsghdr, kBatchSize> batchMsgs_{};
  std::array<iovec, kBatchSize> batchIov_{};
  std::array<sockaddr_storage, kBatchSize> batchAddr_{};
  size_t batchCount_ = 0;
  SendMmsg sendMmsg_;
  uint16_t port_ = 0;
  bool ipv6_ = false;
  Stats stats_;
};

}  // namespace core
