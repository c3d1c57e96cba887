#include "protocols/http/websocket.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "core/loop/event_loop.hpp"

namespace http {
namespace {

constexpr uint64_t kCloseTimeoutMs = 2000;  // bound on writing our close frame

WebSocket* self(void* user) {
  return static_cast<WebSocket*>(user);
}

std::string describeCloseCode(uint16_t code) {
  switch (code) {
    case kWsProtocolError:
      return "protocol error (unmasked frame, bad opcode, reserved bits or bad control frame)";
    case kWsInvalidPayload:
      return "invalid UTF-8 in a text message or close reason";
    case kWsMessageTooBig:
      return "message too big";
    default:
      return "closed with code " + std::to_string(code);
  }
}

}  // namespace

std::unique_ptr<WebSocket> WebSocket::accept(const HttpRequest& req, HttpExchange& exchange,
                                             const WebSocketOptions& options, Handler* handler,
                                             HttpResponse* error) {
  int status = 0;
  const std::string why = checkWsUpgrade(req, &status);
  if (!why.empty()) {
    spdlog::info("ws {}: upgrade refused ({}): {}", req.peer, status, why);
    if (error) {
      *error = HttpResponse::error(status, why);
      if (status == 426) error->headers["Sec-WebSocket-Version"] = "13";
    }
    return nullptr;
  }
  const std::map<std::string, std::string> headers{
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Accept", wsAcceptKey(*req.header("sec-websocket-key"))}};
  std::string leftover;
  auto conn = exchange.upgrade(headers, &leftover);
  if (!conn) {
    if (error) *error = HttpResponse::error(500, "connection gone during the upgrade");
    return nullptr;
  }
  return std::make_unique<WebSocket>(std::move(conn), options, handler, std::move(leftover));
}

WebSocket::WebSocket(std::unique_ptr<core::TcpConnection> conn, const WebSocketOptions& options,
                     Handler* handler, std::string leftover)
    : loop_(conn->loop()),
      options_(options),
      handler_(handler),
      conn_(std::move(conn)),
      timer_(loop_, [this] { onTimer(); }),
      peer_(conn_->peer()),
      leftover_(std::move(leftover)) {
  const wslay_event_callbacks callbacks{
      recvCallback,       sendCallback,       nullptr,  // a server never masks: no genmask
      frameStartCallback, frameChunkCallback, nullptr, messageCallback};
  if (wslay_event_context_server_init(&ctx_, &callbacks, this) != 0)
    throw std::runtime_error("wslay: cannot create a context");
  // NOTE: no buffering: we reassemble data messages ourselves, bounded by
  // maxMessageBytes when each frame header arrives (onFrameStart). wslay would
  // otherwise allocate a frame's announced length up front. It still buffers
  // control frames (at most 125 bytes) and still checks UTF-8 of text messages.
  wslay_event_config_set_no_buffering(ctx_, 1);
  wslay_event_config_set_max_recv_msg_length(ctx_, UINT64_MAX / 2);
  start();
}

WebSocket::~WebSocket() {
  alive_.reset();
  if (options_.coalescer) options_.coalescer->cancel(*this);
  timer_.stop();
  if (conn_) {
    conn_->setHandler(nullptr);
    conn_->close();
  }
  wslay_event_context_free(ctx_);
}

void WebSocket::start() {
  conn_->setHandler(this);
  conn_->setNoDelay(true);
  conn_->startReading();
  lastFrameMs_ = loop_.nowMs();
  armTimer();
  if (!leftover_.empty()) {
    // NOTE: a frame sent right behind the handshake; processed on the next turn so
    // that the owner has stored this WebSocket before its handler hears anything.
    loop_.post([alive = std::weak_ptr<int>(alive_), this] {
      if (alive.expired() || state_ != State::Open || leftover_.empty()) return;
      std::string bytes;
      bytes.swap(leftover_);
      feed({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
    });
  }
}

size_t WebSocket::backlogBytes() const {
  return pendingBytes_ + (conn_ ? conn_->queuedBytes() : 0);
}

bool WebSocket::sendFrame(const core::SharedBuffer& frame) {
  if (state_ != State::Open) return false;
  if (frame.empty()) return true;
  // NOTE: the backlog is what the kernel refused (the socket's queue), not the
  // batch of this loop turn: a room that hands a reading member several frames
  // in one turn must not drop it. The batch has its own, looser bound.
  const size_t queued = conn_ ? conn_->queuedBytes() : 0;
  if (queued + frame.size() > options_.maxBacklogBytes ||
      pendingBytes_ + frame.size() > 4 * options_.maxBacklogBytes) {
    dropSlowConsumer(queued + frame.size());
    return false;
  }
  enqueue(frame);
  return true;
}

bool WebSocket::sendText(std::string_view text) {
  if (state_ != State::Open) return false;
  return sendFrame(encodeWsFrame(WsOpcode::Text, text));
}

void WebSocket::close(uint16_t code, std::string_view reason) {
  if (state_ != State::Open) return;
  const std::string_view cut = truncateUtf8(reason, kWsMaxCloseReason);
  const int rv =
      wslay_event_queue_close(ctx_, code, reinterpret_cast<const uint8_t*>(cut.data()), cut.size());
  wslay_event_shutdown_read(ctx_);
  if (rv != 0 && rv != WSLAY_ERR_NO_MORE_MSG) {
    finish(std::string(reason) + " (close frame refused by wslay: " + std::to_string(rv) + ")",
           true);
    return;
  }
  beginClosing(std::string(reason));
  if (!inRecv_) pumpSend();  // inside wslay_event_recv, afterRecv() sends it
}

void WebSocket::onData(std::span<const uint8_t> bytes) {
  if (state_ != State::Open) return;
  if (!leftover_.empty()) {  // read before the posted leftover ran: keep the order
    std::string first;
    first.swap(leftover_);
    feed({reinterpret_cast<const uint8_t*>(first.data()), first.size()});
    if (state_ != State::Open) return;
  }
  feed(bytes);
}

void WebSocket::feed(std::span<const uint8_t> bytes) {
  // NOTE: wslay consumes everything we offer within this call (its frame reader
  // keeps at most a header and a small buffer); partial messages live in message_,
  // which onFrameStart bounds. So no input buffer of ours can grow.
  input_ = bytes;
  inRecv_ = true;
  const int rv = wslay_event_recv(ctx_);
  inRecv_ = false;
  input_ = {};
  afterRecv(rv);
}

void WebSocket::afterRecv(int rv) {
  if (state_ == State::Closed) return;
  if (rv == WSLAY_ERR_CALLBACK_FAILURE) {
    // NOTE: wslay's frame reader refused a header (RFC 6455 5.2, 5.5: a control
    // frame that is fragmented or longer than 125 bytes, an extended length that
    // is not minimal or has its top bit set). wslay queued a close frame WITHOUT a
    // status code and reports a callback failure; our own callbacks never fail
    // while reading. The peer is owed 1002 (7.4.1), so we send that close instead.
    closeOnViolation(kWsProtocolError,
                     "protocol error: malformed frame header (a control frame fragmented or "
                     "over 125 bytes, or a length not minimal or >= 2^63)");
    return;
  }
  if (rv != 0) {
    finish("websocket read failed: wslay error " + std::to_string(rv), false);
    return;
  }
  if (ownClose_) {
    closeOnViolation(kWsProtocolError, violation_);
    return;
  }
  const bool readStopped = !wslay_event_get_read_enabled(ctx_);
  pumpSend();  // pongs, the close answer or the close we queued
  if (state_ != State::Open || !readStopped) return;
  // wslay stopped reading: the peer closed, or broke the protocol and wslay queued
  // (and we just sent) a close frame with the matching code.
  std::string reason;
  if (peerClosed_) {
    reason = "peer closed: " + peerClose_;
  } else if (!violation_.empty()) {
    reason = violation_;
  } else {
    reason = describeCloseCode(wslay_event_get_status_code_sent(ctx_));
  }
  beginClosing(std::move(reason));
}

void WebSocket::onFrameStart(const wslay_event_on_frame_recv_start_arg& arg) {
  lastFrameMs_ = loop_.nowMs();
  pingSent_ = false;
  frameIsData_ = !wslay_is_ctrl_frame(arg.opcode);
  if (!frameIsData_ || !violation_.empty()) return;
  if (arg.opcode != WSLAY_CONTINUATION_FRAME) {
    message_.clear();
    messageBytes_ = 0;
  }
  messageBytes_ += arg.payload_length;
  if (messageBytes_ <= options_.maxMessageBytes && messageBytes_ >= arg.payload_length) return;
  violation_ = "message too big: " + std::to_string(messageBytes_) + " bytes > limit " +
               std::to_string(options_.maxMessageBytes);
  wslay_event_queue_close(ctx_, kWsMessageTooBig,
                          reinterpret_cast<const uint8_t*>(violation_.data()),
                          std::min(violation_.size(), kWsMaxCloseReason));
  wslay_event_shutdown_read(ctx_);
}

void WebSocket::onMessageReceived(const wslay_event_on_msg_recv_arg& arg) {
  if (arg.opcode == WSLAY_CONNECTION_CLOSE) {
    if (arg.msg_length == 1) {
      // NOTE: RFC 6455 5.5.1: a close body starts with a 2-byte code; wslay takes
      // one byte for "no code" and has queued an empty close. afterRecv replaces it.
      ownClose_ = true;
      violation_ = "protocol error: a close frame with a 1-byte payload";
      return;
    }
    peerClosed_ = true;
    peerClose_ = arg.status_code == 0 ? std::string("no status code")
                                      : "code " + std::to_string(arg.status_code);
    if (arg.msg_length > 2 && arg.msg)
      peerClose_ += std::string(" '") +
                    std::string(reinterpret_cast<const char*>(arg.msg) + 2, arg.msg_length - 2) +
                    "'";
    return;
  }
  if (arg.opcode == WSLAY_PING) {
    // NOTE: wslay queued the pong before this callback; send it now so that it
    // precedes anything our handler answers to later messages of the same read.
    pumpSend();
    return;
  }
  if (arg.opcode != WSLAY_TEXT_FRAME && arg.opcode != WSLAY_BINARY_FRAME) return;  // pong
  if (state_ != State::Open || !violation_.empty()) return;
  const WsOpcode op = arg.opcode == WSLAY_TEXT_FRAME ? WsOpcode::Text : WsOpcode::Binary;
  messageBytes_ = 0;
  // The handler may close (which frees message_) while it still holds the view.
  std::string message;
  message.swap(message_);
  if (handler_) handler_->onMessage(op, message);
  if (state_ == State::Open && message_.empty()) {
    message.clear();  // keep the capacity for the next message
    message_.swap(message);
  }
}

void WebSocket::closeOnViolation(uint16_t code, const std::string& reason) {
  // NOTE: wslay already queued a close of its own (it refuses a second one), so
  // ours is encoded here and wslay's queue is never sent again: closing means
  // no more wslay_event_send (the state is no longer Open).
  if (state_ != State::Open) return;
  std::string payload{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
  payload += truncateUtf8(reason, kWsMaxCloseReason);
  enqueue(encodeWsFrame(WsOpcode::Close, payload));
  beginClosing(reason);
}

void WebSocket::pumpSend() {
  if (state_ == State::Closed) return;
  const int rv = wslay_event_send(ctx_);
  if (rv != 0) {
    finish("websocket send failed: wslay error " + std::to_string(rv), true);
    return;
  }
  // A peer flooding pings while never reading our pongs is a slow consumer too.
  const size_t queued = conn_ ? conn_->queuedBytes() : 0;
  if (queued > options_.maxBacklogBytes) dropSlowConsumer(queued);
}

void WebSocket::dropSlowConsumer(size_t socketBacklog) {
  // The socket's queue (what the limit bounds) and this turn's batch, apart.
  finish("slow consumer: " + std::to_string(socketBacklog) + " bytes backlog in the socket, " +
             std::to_string(pendingBytes_) + " more in this turn's batch",
         true);
}

void WebSocket::enqueue(core::SharedBuffer frame) {
  pendingBytes_ += frame.size();
  pending_.push_back(std::move(frame));
  scheduleFlush();
}

void WebSocket::scheduleFlush() {
  if (options_.coalescer && options_.coalescer->windowMs() > 0 && state_ == State::Open) {
    options_.coalescer->schedule(*this);
    return;
  }
  if (flushScheduled_) return;
  flushScheduled_ = true;
  loop_.post([alive = std::weak_ptr<int>(alive_), this] {
    if (alive.expired()) return;
    flushScheduled_ = false;
    flush();
  });
}

void WebSocket::flush() {
  if (state_ == State::Closed) return;
  if (!pending_.empty()) {
    std::vector<core::SharedBuffer> batch;
    batch.swap(pending_);
    pendingBytes_ = 0;
    conn_->write(batch);  // a failure reports onDisconnect -> finish
    if (state_ == State::Closed) return;
  }
  if (state_ == State::Closing && !conn_->writePending()) finish(closeReason_, false);
}

void WebSocket::onDrained() {
  if (state_ == State::Closing && pending_.empty()) finish(closeReason_, false);
}

void WebSocket::onDisconnect(std::string_view reason) {
  finish(state_ == State::Closing ? closeReason_ : "connection lost: " + std::string(reason),
         false);
}

void WebSocket::armTimer() {
  const uint64_t now = loop_.nowMs();
  const int64_t idle = std::max<int64_t>(options_.idleTimeoutMs, 1);
  const int64_t ping = options_.pingIntervalMs;
  const int64_t wait = (pingSent_ || ping <= 0 || ping >= idle) ? idle : ping;
  const uint64_t deadline = lastFrameMs_ + static_cast<uint64_t>(wait);
  timer_.start(deadline > now ? deadline - now : 1);
}

void WebSocket::onTimer() {
  if (state_ == State::Closing) {
    finish(closeReason_ + " (close frame not written within 2 s)", false);
    return;
  }
  if (state_ != State::Open) return;
  const uint64_t quiet = loop_.nowMs() - lastFrameMs_;
  if (static_cast<int64_t>(quiet) >= options_.idleTimeoutMs) {
    close(kWsGoingAway, "idle timeout: no frame for " + std::to_string(quiet) + " ms");
    return;
  }
  if (!pingSent_ && options_.pingIntervalMs > 0 &&
      static_cast<int64_t>(quiet) >= options_.pingIntervalMs) {
    const wslay_event_msg ping{WSLAY_PING, nullptr, 0};
    wslay_event_queue_msg(ctx_, &ping);
    pingSent_ = true;
    pumpSend();
    if (state_ != State::Open) return;
  }
  armTimer();
}

void WebSocket::beginClosing(std::string reason) {
  if (state_ != State::Open) return;
  state_ = State::Closing;
  closeReason_ = std::move(reason);
  message_.clear();
  message_.shrink_to_fit();
  timer_.start(kCloseTimeoutMs);
  scheduleFlush();  // the flush closes the socket once the close frame is written
}

void WebSocket::finish(std::string reason, bool deferred) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  closeReason_ = std::move(reason);
  timer_.stop();
  if (options_.coalescer) options_.coalescer->cancel(*this);
  pending_.clear();
  pendingBytes_ = 0;
  if (conn_) {
    conn_->setHandler(nullptr);
    conn_->close();
  }
  spdlog::info("ws {} closed: {}", peer_, closeReason_);
  auto notify = [this] {
    if (Handler* h = handler_) {
      handler_ = nullptr;
      const std::string why = closeReason_;
      h->onClose(why);
    }
  };
  if (!deferred) {
    notify();
    return;
  }
  loop_.post([alive = std::weak_ptr<int>(alive_), notify] {
    if (!alive.expired()) notify();
  });
}

// --- wslay trampolines: noexcept, they catch what the handler throws -------------

ssize_t WebSocket::recvCallback(wslay_event_context_ptr ctx, uint8_t* buf, size_t len, int,
                                void* user) noexcept {
  WebSocket* ws = self(user);
  const size_t n = std::min(len, ws->input_.size());
  if (n == 0) {
    wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
    return -1;
  }
  std::memcpy(buf, ws->input_.data(), n);
  ws->input_ = ws->input_.subspan(n);
  return static_cast<ssize_t>(n);
}

ssize_t WebSocket::sendCallback(wslay_event_context_ptr ctx, const uint8_t* data, size_t len, int,
                                void* user) noexcept {
  try {
    // NOTE: control frames from wslay (pong, close) join the same batch as our
    // data frames, so the wire order is the order things were queued in.
    self(user)->enqueue(core::SharedBuffer::copyOf(std::span(data, len)));
    return static_cast<ssize_t>(len);
  } catch (const std::exception&) {
    wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
    return -1;
  }
}

void WebSocket::frameStartCallback(wslay_event_context_ptr,
                                   const wslay_event_on_frame_recv_start_arg* arg,
                                   void* user) noexcept {
  try {
    self(user)->onFrameStart(*arg);
  } catch (const std::exception& e) {
    spdlog::error("ws {}: frame start handler threw: {}", self(user)->peer_, e.what());
  }
}

void WebSocket::frameChunkCallback(wslay_event_context_ptr,
                                   const wslay_event_on_frame_recv_chunk_arg* arg,
                                   void* user) noexcept {
  WebSocket* ws = self(user);
  if (!ws->frameIsData_ || !ws->violation_.empty() || ws->state_ != State::Open) return;
  if (arg->data_length == 0) return;
  try {
    ws->message_.append(reinterpret_cast<const char*>(arg->data), arg->data_length);
  } catch (const std::exception& e) {
    spdlog::error("ws {}: cannot buffer a message: {}", ws->peer_, e.what());
  }
}

void WebSocket::messageCallback(wslay_event_context_ptr, const wslay_event_on_msg_recv_arg* arg,
                                void* user) noexcept {
  WebSocket* ws = self(user);
  try {
    ws->onMessageReceived(*arg);
  } catch (const std::exception& e) {
    spdlog::error("ws {}: message handler threw: {}", ws->peer_, e.what());
    ws->message_.clear();
    ws->close(kWsInternalError, "internal error");
  }
}

}  // namespace http
