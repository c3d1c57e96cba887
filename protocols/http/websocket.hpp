// WebSocket: one upgraded server-side connection (RFC 6455). wslay parses and
// checks incoming frames (masking, fragmentation, control frames, UTF-8); outgoing
// data frames are pre-encoded SharedBuffers batched into one gather write per loop
// iteration. Owned by whoever accepted it (the room); loop thread only.
#pragma once

#include <wslay/wslay.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/loop/tcp_connection.hpp"
#include "core/loop/timer.hpp"
#include "core/loop/write_coalescer.hpp"
#include "protocols/http/http_server.hpp"
#include "protocols/http/websocket_frame.hpp"

namespace http {

struct WebSocketOptions {
  size_t maxMessageBytes = 12 * 1024;  // larger incoming message: close 1009
  int64_t idleTimeoutMs = 60000;       // no frame from the peer this long: close 1001
  int64_t pingIntervalMs = 20000;      // peer quiet this long: we send a ping
  size_t maxBacklogBytes = 1 << 20;    // the socket's queue; above: drop the peer
  // Merged writes: with a coalescer whose window is > 0, a socket's frames go out
  // once per window (fewer syscalls for chatty rooms); otherwise at the end of the
  // loop turn. Not owned; outlives every WebSocket.
  core::WriteCoalescer* coalescer = nullptr;
};

class WebSocket : public core::TcpConnection::Handler, private core::WriteCoalescer::Client {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    // A complete (reassembled) text or binary message.
    virtual void onMessage(WsOpcode op, std::string_view payload) = 0;
    // Exactly once; the WebSocket is closed already. Do NOT delete the WebSocket
    // inside this call: use EventLoop::deferDelete.
    virtual void onClose(std::string_view reason) = 0;
  };

  // Checks the request; on success answers 101 (HttpExchange::upgrade) and returns
  // the started WebSocket. On failure returns nullptr and sets *error to the answer
  // to give (400, or 426 with Sec-WebSocket-Version: 13).
  static std::unique_ptr<WebSocket> accept(const HttpRequest& req, HttpExchange& exchange,
                                           const WebSocketOptions& options, Handler* handler,
                                           HttpResponse* error);

  // `leftover`: bytes that came behind the handshake (processed on the next loop turn).
  WebSocket(std::unique_ptr<core::TcpConnection> conn, const WebSocketOptions& options,
            Handler* handler, std::string leftover = {});
  // Closes the socket without calling onClose.
  ~WebSocket() override;
  WebSocket(const WebSocket&) = delete;
  WebSocket& operator=(const WebSocket&) = delete;

  void setHandler(Handler* handler) { handler_ = handler; }

  // Queues a pre-encoded frame (encodeWsFrame) that may be shared by many sockets.
  // Every frame queued in one loop iteration leaves in ONE gather write at its end.
  // Returns false if closing/closed, or if the backlog limit was passed: the peer
  // is then dropped and onClose follows on a later loop turn (never inside this call).
  bool sendFrame(const core::SharedBuffer& frame);
  bool sendText(std::string_view text);
  // Sends a close frame (reason cut to 123 bytes), then closes the TCP connection
  // once it is written (2 s at most). onClose(reason) follows, later.
  void close(uint16_t code, std::string_view reason);

  const std::string& peer() const { return peer_; }
  // Bytes queued to this peer: our pending batch + the socket's unsent bytes.
  size_t backlogBytes() const;
  // True once closing started: nothing more can be sent.
  bool closed() const { return state_ != State::Open; }

  // core::TcpConnection::Handler
  void onData(std::span<const uint8_t> bytes) override;
  void onDisconnect(std::string_view reason) override;
  void onDrained() override;

 private:
  enum class State { Open, Closing, Closed };

  static ssize_t recvCallback(wslay_event_context_ptr, uint8_t* buf, size_t len, int flags,
                              void* user) noexcept;
  static ssize_t sendCallback(wslay_event_context_ptr, const uint8_t* data, size_t len, int flags,
                              void* user) noexcept;
  static void frameStartCallback(wslay_event_context_ptr,
                                 const wslay_event_on_frame_recv_start_arg* arg,
                                 void* user) noexcept;
  static void frameChunkCallback(wslay_event_context_ptr,
                                 const wslay_event_on_frame_recv_chunk_arg* arg,
                                 void* user) noexcept;
  static void messageCallback(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                              void* user) noexcept;

  void start();
  void feed(std::span<const uint8_t> bytes);
  void afterRecv(int rv);
  void onFrameStart(const wslay_event_on_frame_recv_start_arg& arg);
  void onMessageReceived(const wslay_event_on_msg_recv_arg& arg);
  // Sends our own close frame (wslay queued one without a code) and starts closing.
  void closeOnViolation(uint16_t code, const std::string& reason);
  void pumpSend();
  void dropSlowConsumer(size_t socketBacklog);
  void enqueue(core::SharedBuffer frame);
  void scheduleFlush();
  void flush() override;  // core::WriteCoalescer::Client
  void onTimer();
  void armTimer();
  void beginClosing(std::string reason);
  // Closes the socket and reports onClose, now or (deferred) on a later loop turn.
  void finish(std::string reason, bool deferred);
  bool overBacklog();

  // passed in
  core::EventLoop& loop_;
  const WebSocketOptions options_;
  Handler* handler_;
  // owned
  std::unique_ptr<core::TcpConnection> conn_;
  wslay_event_context_ptr ctx_ = nullptr;
  core::Timer timer_;  // idle/ping while open, the 2 s close bound while closing
  // NOTE: posted callbacks hold a weak_ptr to this token, so a flush posted before
  // the WebSocket was destroyed does nothing.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  // other
  std::string peer_;
  State state_ = State::Open;
  std::string closeReason_;
  std::string leftover_;
  std::span<const uint8_t> input_;  // what the wslay recv callback drains
  bool inRecv_ = false;
  std::vector<core::SharedBuffer> pending_;  // the batch of this loop iteration
  size_t pendingBytes_ = 0;
  bool flushScheduled_ = false;
  std::string message_;       // the data message being reassembled
  size_t messageBytes_ = 0;   // its announced size so far (frame headers)
  bool frameIsData_ = false;  // the frame being read is text/binary/continuation
  std::string violation_;     // our own reason for a close we queued while reading
  std::string peerClose_;     // "code reason" of a close frame from the peer
  bool peerClosed_ = false;
  bool ownClose_ = false;  // a violation wslay let through: we close with 1002
  uint64_t lastFrameMs_ = 0;
  bool pingSent_ = false;
};

}  // namespace http
