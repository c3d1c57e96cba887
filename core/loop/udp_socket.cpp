#include "core/loop/udp_socket.hpp"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <cerrno>
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

void closeUdpFlusher(uv_prepare_t* handle) {
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_prepare_t*>(h); });
}

int udpSendMmsg(int fd, mmsghdr* messages, unsigned count, int flags) {
  return ::sendmmsg(fd, messages, count, flags);
}

}  // namespace

UdpSocket::UdpSocket(EventLoop& loop, Handler handler)
    : loop_(loop),
      handle_(new uv_udp_t),
      handler_(std::move(handler)),
      flusher_(new uv_prepare_t),
      batchBytes_(std::make_unique_for_overwrite<uint8_t[]>(kBatchSize * kBatchSlotBytes)),
      sendMmsg_(udpSendMmsg) {
  uv_udp_init(loop.uv(), handle_);
  handle_->data = this;
  uv_prepare_init(loop.uv(), flusher_);
  flusher_->data = this;
  for (size_t i = 0; i < kBatchSize; ++i) {
    batchIov_[i].iov_base = batchBytes_.get() + i * kBatchSlotBytes;
    batchMsgs_[i].msg_hdr.msg_iov = &batchIov_[i];
    batchMsgs_[i].msg_hdr.msg_iovlen = 1;
    batchMsgs_[i].msg_hdr.msg_name = &batchAddr_[i];
  }
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
  flush();
  closeUdpFlusher(flusher_);
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
  flush();  // what was queued before goes first
  const sockaddr_storage dest = destination(to);
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

sockaddr_storage UdpSocket::destination(const sockaddr_storage& to) const {
  return ipv6_ ? mapIpv4(to) : to;
}

bool UdpSocket::queue(std::span<const uint8_t> datagram, const sockaddr_storage& to) {
  if (datagram.size() > kBatchSlotBytes) return send(datagram, to);
  if (batchCount_ == kBatchSize) flush();
  const size_t i = batchCount_++;
  if (!datagram.empty()) std::memcpy(batchIov_[i].iov_base, datagram.data(), datagram.size());
  batchIov_[i].iov_len = datagram.size();
  batchAddr_[i] = destination(to);
  batchMsgs_[i].msg_hdr.msg_namelen =
      batchAddr_[i].ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  ++stats_.queued;
  if (i == 0) {
    uv_prepare_start(flusher_, [](uv_prepare_t* h) noexcept {
      if (auto* self = static_cast<UdpSocket*>(h->data)) self->flush();
    });
  }
  return true;
}

void UdpSocket::flush() {
  if (batchCount_ == 0) return;
  flushFrom(0);
  batchCount_ = 0;
  uv_prepare_stop(flusher_);
}

void UdpSocket::flushFrom(size_t first) {
  int fd = -1;
  if (uv_fileno(reinterpret_cast<const uv_handle_t*>(handle_), &fd) != 0) {
    stats_.dropped += batchCount_ - first;
    return;
  }
  while (first < batchCount_) {
    const unsigned count = static_cast<unsigned>(batchCount_ - first);
    ++stats_.batchCalls;
    const int rc = sendMmsg_(fd, &batchMsgs_[first], count, MSG_DONTWAIT);
    if (rc > 0) {
      for (size_t i = first; i < first + static_cast<size_t>(rc); ++i) {
        ++stats_.sent;
        stats_.sentBytes += batchIov_[i].iov_len;
      }
      first += static_cast<size_t>(rc);
      continue;  // a partial send: the next call tells why the rest did not go
    }
    const int error = rc < 0 ? errno : EAGAIN;
    if (error == EINTR) continue;
    if (error == EAGAIN || error == EWOULDBLOCK || error == ENOBUFS) {
      // NOTE: the kernel's buffer is full: the rest is dropped, as uv_udp_try_send
      // would drop each of them; the loop never waits for room.
      stats_.dropped += batchCount_ - first;
      spdlog::debug("udp port {}: send buffer full: {} datagrams dropped", port_,
                    batchCount_ - first);
      return;
    }
    // This datagram's own error (its destination): it alone is dropped.
    spdlog::debug("udp port {}: send to {}: {}", port_, formatAddress(batchAddr_[first]),
                  std::strerror(error));
    ++stats_.dropped;
    ++first;
  }
}

}  // namespace core
