// TcpConnection: one accepted (or connected) TCP socket on the loop. Owned by its
// session; loop thread only. Reads go to a Handler in bounded slices; writes are
// gather writes of SharedBuffers: uv_try_write first, only the unsent rest is
// queued, and the queued buffers stay referenced until libuv is done with them.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/buffer/shared_buffer.hpp"
#include "core/loop/byte_sink.hpp"

namespace core {

class EventLoop;

// NOTE: final, so code that holds a TcpConnection calls write() without a virtual call.
class TcpConnection final : public ByteSink {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // Bytes read; the span is only valid during the call (copy what you keep).
    virtual void onData(std::span<const uint8_t> bytes) = 0;
    // The peer closed or the socket failed; the connection is already closed.
    virtual void onDisconnect(std::string_view reason) = 0;
    // Every queued byte has been handed to the kernel.
    virtual void onDrained() {}
  };

  // Takes an initialized, connected uv_tcp_t allocated with new.
  TcpConnection(EventLoop& loop, uv_tcp_t* handle);
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Connects to host:port (client side: load tester, tests). onConnected(status).
  static TcpConnection* connect(EventLoop& loop, const std::string& host, uint16_t port,
                                std::function<void(TcpConnection*, int status)> onConnected);

  void setHandler(Handler* handler) { handler_ = handler; }
  void startReading();
  void stopReading();

  // Writes all buffers in order: Closed if the connection is (or got) closed, Queued
  // if bytes wait in libuv afterwards (its own or an earlier write's).
  Write write(std::span<const SharedBuffer> buffers) override;
  Write write(const SharedBuffer& buffer) { return write(std::span(&buffer, 1)); }

  // Bytes handed to libuv but not yet written to the kernel.
  size_t queuedBytes() const override { return queuedBytes_; }
  bool writePending() const { return pendingWrites_ > 0; }
  // Write requests queued in libuv (each holds its buffers until written).
  size_t queuedWrites() const { return static_cast<size_t>(pendingWrites_); }
  uint64_t bytesWritten() const { return bytesWritten_; }
  uint64_t bytesRead() const { return bytesRead_; }

  void setNoDelay(bool on);
  void setSendBuffer(int bytes);
  // SO_RCVLOWAT: the socket counts as readable only once `bytes` are waiting (a
  // reader batching its reads, like a player with a big buffer; the load client).
  void setReceiveLowWater(int bytes);
  // Idempotent; no Handler callback follows.
  void close();
  bool closed() const { return handle_ == nullptr; }
  const std::string& peer() const override { return peer_; }
  EventLoop& loop() { return loop_; }

 private:
  struct WriteRequest;
  void onRead(ssize_t nread, const uv_buf_t* buf);
  void onWriteDone(WriteRequest* req, int status);
  void fail(std::string_view reason);

  EventLoop& loop_;
  uv_tcp_t* handle_;  // owned; freed in its close callback
  Handler* handler_ = nullptr;
  std::string peer_;
  size_t queuedBytes_ = 0;
  int pendingWrites_ = 0;
  uint64_t bytesWritten_ = 0;
  uint64_t bytesRead_ = 0;
};

}  // namespace core
