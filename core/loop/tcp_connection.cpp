#include "core/loop/tcp_connection.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <functional>

#include "core/loop/event_loop.hpp"
#include "core/loop/socket_address.hpp"

namespace core {
namespace {

std::string peerName(uv_tcp_t* handle) {
  sockaddr_storage addr{};
  int len = sizeof addr;
  if (uv_tcp_getpeername(handle, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "?";
  // NOTE: an IPv4 client of a listener on "::" is shown (and limited) as its IPv4 address.
  return formatAddress(unmapIpv4(addr));
}

void freeHandle(uv_handle_t* h) {
  delete reinterpret_cast<uv_tcp_t*>(h);
}

}  // namespace

struct TcpConnection::WriteRequest {
  uv_write_t req;
  std::vector<SharedBuffer> held;  // keeps the bytes alive until the callback
  std::vector<uv_buf_t> bufs;
  size_t bytes = 0;
};

TcpConnection::TcpConnection(EventLoop& loop, uv_tcp_t* handle) : loop_(loop), handle_(handle) {
  handle_->data = this;
  peer_ = peerName(handle_);
}

TcpConnection::~TcpConnection() {
  close();
}

TcpConnection* TcpConnection::connect(EventLoop& loop, const std::string& host, uint16_t port,
                                      std::function<void(TcpConnection*, int status)> onConnected) {
  auto addr = socketAddress(host, port);
  if (!addr) return nullptr;
  auto* handle = new uv_tcp_t;
  uv_tcp_init(loop.uv(), handle);
  auto* conn = new TcpConnection(loop, handle);
  struct ConnectRequest {
    uv_connect_t req;
    TcpConnection* conn;
    std::function<void(TcpConnection*, int)> cb;
  };
  auto* req = new ConnectRequest{{}, conn, std::move(onConnected)};
  req->req.data = req;
  int rc = uv_tcp_connect(&req->req, handle, reinterpret_cast<sockaddr*>(&*addr),
                          [](uv_connect_t* r, int status) noexcept {
                            auto* cr = static_cast<ConnectRequest*>(r->data);
                            if (status == 0) cr->conn->peer_ = peerName(cr->conn->handle_);
                            cr->cb(cr->conn, status);
                            delete cr;
                          });
  if (rc != 0) {
    delete req;
    delete conn;
    return nullptr;
  }
  return conn;
}

void TcpConnection::startReading() {
  if (!handle_) return;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(handle_),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        auto* self = static_cast<TcpConnection*>(h->data);
        if (!self) {  // closed: libuv reports UV_ENOBUFS to the read callback, which ignores it
          *buf = uv_buf_init(nullptr, 0);
          return;
        }
        std::span<char> scratch = self->loop_.readBuffer();
        buf->base = scratch.data();
        buf->len = scratch.size();
      },
      [](uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
        auto* self = static_cast<TcpConnection*>(s->data);
        if (!self) return;
        try {
          self->onRead(nread, buf);
        } catch (const std::exception& e) {
          spdlog::error("{}: read handler threw: {}", self->peer_, e.what());
          self->fail("internal error");
        }
      });
}

void TcpConnection::stopReading() {
  if (handle_) uv_read_stop(reinterpret_cast<uv_stream_t*>(handle_));
}

void TcpConnection::onRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    bytesRead_ += static_cast<uint64_t>(nread);
    if (handler_)
      handler_->onData({reinterpret_cast<const uint8_t*>(buf->base), static_cast<size_t>(nread)});
    return;
  }
  if (nread == UV_EOF) {
    fail("peer closed the connection");
  } else if (nread < 0) {
    fail(std::string("read error: ") + uv_strerror(static_cast<int>(nread)));
  }
}

ByteSink::Write TcpConnection::write(std::span<const SharedBuffer> buffers) {
  if (!handle_) return Write::Closed;
  std::vector<uv_buf_t>& bufs = loop_.writeScratch();
  bufs.clear();
  size_t total = 0;
  for (const auto& b : buffers) {
    if (b.empty()) continue;
    bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(b.data())),
                               static_cast<unsigned>(b.size())));
    total += b.size();
  }
  if (total == 0) return pendingWrites_ > 0 ? Write::Queued : Write::Done;
  auto* stream = reinterpret_cast<uv_stream_t*>(handle_);

  size_t sent = 0;
  if (pendingWrites_ == 0) {
    int rc = uv_try_write(stream, bufs.data(), static_cast<unsigned>(bufs.size()));
    if (rc > 0) {
      sent = static_cast<size_t>(rc);
    } else if (rc != UV_EAGAIN && rc != UV_ENOSYS) {
      fail(std::string("write error: ") + uv_strerror(rc));
      return Write::Closed;
    }
  }
  bytesWritten_ += sent;
  if (sent == total) return Write::Done;  // nothing was pending, or it would not have tried

  // Queue what the kernel did not take, holding references to the bytes.
  auto* wr = new WriteRequest;
  wr->req.data = this;
  size_t skip = sent;
  for (const auto& b : buffers) {
    if (b.empty()) continue;
    if (skip >= b.size()) {
      skip -= b.size();
      continue;
    }
    SharedBuffer rest = b.slice(skip);
    skip = 0;
    wr->bufs.push_back(uv_buf_init(const_cast<char*>(reinterpret_cast<const char*>(rest.data())),
                                   static_cast<unsigned>(rest.size())));
    wr->bytes += rest.size();
    wr->held.push_back(std::move(rest));
  }
  queuedBytes_ += wr->bytes;
  ++pendingWrites_;
  int rc = uv_write(&wr->req, stream, wr->bufs.data(), static_cast<unsigned>(wr->bufs.size()),
                    [](uv_write_t* req, int status) noexcept {
                      auto* w = reinterpret_cast<WriteRequest*>(req);
                      auto* self = static_cast<TcpConnection*>(req->handle->data);
                      if (self) {
                        try {
                          self->onWriteDone(w, status);
                        } catch (const std::exception& e) {
                          spdlog::error("write handler threw: {}", e.what());
                        }
                      }
                      delete w;
                    });
  if (rc != 0) {
    queuedBytes_ -= wr->bytes;
    --pendingWrites_;
    delete wr;
    fail(std::string("write error: ") + uv_strerror(rc));
    return Write::Closed;
  }
  return Write::Queued;
}

void TcpConnection::onWriteDone(WriteRequest* req, int status) {
  queuedBytes_ -= req->bytes;
  --pendingWrites_;
  if (status != 0) {
    if (status != UV_ECANCELED) fail(std::string("write error: ") + uv_strerror(status));
    return;
  }
  bytesWritten_ += req->bytes;
  if (pendingWrites_ == 0 && handler_) handler_->onDrained();
}

void TcpConnection::setNoDelay(bool on) {
  if (handle_) uv_tcp_nodelay(handle_, on ? 1 : 0);
}

void TcpConnection::setSendBuffer(int bytes) {
  if (handle_) uv_send_buffer_size(reinterpret_cast<uv_handle_t*>(handle_), &bytes);
}

void TcpConnection::setReceiveLowWater(int bytes) {
  uv_os_fd_t fd{};
  if (handle_ && uv_fileno(reinterpret_cast<uv_handle_t*>(handle_), &fd) == 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes);
}

void TcpConnection::fail(std::string_view reason) {
  Handler* handler = handler_;
  close();
  if (handler) handler->onDisconnect(reason);
}

void TcpConnection::close() {
  if (!handle_) return;
  handle_->data = nullptr;
  handler_ = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), freeHandle);
  handle_ = nullptr;
}

}  // namespace core
