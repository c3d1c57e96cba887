#include "protocols/http/http_connection.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/auth/query_string.hpp"
#include "protocols/http/http_server.hpp"

namespace http {
namespace {
HttpConnection* self(http_parser* p) {
  return static_cast<HttpConnection*>(p->data);
}
}  // namespace

HttpConnection::HttpConnection(HttpServer& server, std::unique_ptr<core::TcpConnection> conn,
                               const HttpOptions& options)
    : server_(server), options_(options), conn_(std::move(conn)), timer_(conn_->loop(), [this] {
        if (closing_) {
          close("the peer did not read the response");
        } else if (waitingDrain_) {
          close("the peer does not read its responses");
        } else if (inRequest_ || requests_ == 0) {
          reject(408, "request not received in time");
        } else {
          close("keep-alive idle timeout");
        }
      }) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
  http_parser_settings_init(&settings_);
  settings_.on_message_begin = onMessageBegin;
  settings_.on_url = onUrl;
  settings_.on_header_field = onHeaderField;
  settings_.on_header_value = onHeaderValue;
  settings_.on_headers_complete = onHeadersComplete;
  settings_.on_body = onBody;
  settings_.on_message_complete = onMessageComplete;
}

HttpConnection::~HttpConnection() = default;

void HttpConnection::start() {
  conn_->setHandler(this);
  conn_->setNoDelay(true);
  conn_->startReading();
  timer_.start(static_cast<uint64_t>(options_.headerTimeoutMs));
}

void HttpConnection::close(std::string_view reason) {
  if (closed_) return;
  closed_ = true;
  if (deferred_) deferred_->conn_ = nullptr;
  spdlog::debug("http {}: connection closed: {}", conn_ ? conn_->peer() : "-", reason);
  timer_.stop();
  if (conn_) conn_->close();
  server_.remove(this);
}

void HttpConnection::armIdle() {
  timer_.start(static_cast<uint64_t>(options_.keepAliveTimeoutMs));
}

void HttpConnection::onData(std::span<const uint8_t> bytes) {
  if (closed_ || closing_) return;
  if (deferred_ || waitingDrain_) {
    // A pipelined request waits for the answer before it; bounded like a header.
    pending_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    if (pending_.size() > options_.maxHeaderSize + options_.maxBodySize)
      close("too many bytes pipelined behind a held request");
    return;
  }
  const size_t parsed = http_parser_execute(
      &parser_, &settings_, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (closed_ || takenOver_) return;
  if (upgradeHead_ && HTTP_PARSER_ERRNO(&parser_) == HPE_PAUSED && parsed < bytes.size()) {
    finishUpgradeHead(bytes.subspan(parsed));
    return;
  }
  if (deferred_ || waitingDrain_) {
    pending_.assign(reinterpret_cast<const char*>(bytes.data()) + parsed, bytes.size() - parsed);
    return;
  }
  if (errorStatus_ != 0) {
    reject(errorStatus_, error_);
    return;
  }
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || (parsed != bytes.size() && !parser_.upgrade)) {
    reject(400, std::string("malformed request: ") +
                    http_errno_description(HTTP_PARSER_ERRNO(&parser_)));
  }
}

void HttpConnection::finishUpgradeHead(std::span<const uint8_t> rest) {
  upgradeHead_ = false;
  upgradeLeftover_.assign(reinterpret_cast<const char*>(rest.data()) + 1, rest.size() - 1);
  http_parser_pause(&parser_, 0);
  // The final LF: completes the message and dispatches it (the route may upgrade).
  http_parser_execute(&parser_, &settings_, reinterpret_cast<const char*>(rest.data()), 1);
  if (closed_ || takenOver_) return;
  // Not upgraded (the route answered with a plain response): what follows is HTTP.
  std::string next;
  next.swap(upgradeLeftover_);
  if (!next.empty()) onData({reinterpret_cast<const uint8_t*>(next.data()), next.size()});
}

bool HttpConnection::countHeaderBytes(size_t n) {
  headerBytes_ += n;
  if (headerBytes_ <= options_.maxHeaderSize) return true;
  errorStatus_ = 431;
  error_ = "request header larger than " + std::to_string(options_.maxHeaderSize) + " bytes";
  return false;
}

int HttpConnection::onMessageBegin(http_parser* p) {
  auto* c = self(p);
  c->request_ = HttpRequest{};
  c->request_.peer = c->conn_->peer();
  c->url_.clear();
  c->field_.clear();
  c->value_.clear();
  c->lastWasValue_ = false;
  c->headerBytes_ = 0;
  if (!c->inRequest_) {
    c->inRequest_ = true;
    c->timer_.start(static_cast<uint64_t>(c->options_.headerTimeoutMs));
  }
  return 0;
}

int HttpConnection::onUrl(http_parser* p, const char* at, size_t len) {
  auto* c = self(p);
  if (!c->countHeaderBytes(len)) return -1;
  c->url_.append(at, len);
  return 0;
}

int HttpConnection::onHeaderField(http_parser* p, const char* at, size_t len) {
  auto* c = self(p);
  if (!c->countHeaderBytes(len)) return -1;
  if (c->lastWasValue_) {
    c->request_.headers[c->field_] = c->value_;
    c->field_.clear();
    c->value_.clear();
    c->lastWasValue_ = false;
  }
  for (size_t i = 0; i < len; ++i) c->field_.push_back(static_cast<char>(tolower(at[i])));
  return 0;
}

int HttpConnection::onHeaderValue(http_parser* p, const char* at, size_t len) {
  auto* c = self(p);
  if (!c->countHeaderBytes(len)) return -1;
  c->value_.append(at, len);
  c->lastWasValue_ = true;
  return 0;
}

int HttpConnection::onHeadersComplete(http_parser* p) {
  auto* c = self(p);
  if (c->lastWasValue_) c->request_.headers[c->field_] = c->value_;
  // The request timer keeps running until the body is complete too.
  c->request_.method = http_method_str(static_cast<http_method>(p->method));
  if (p->method == HTTP_HEAD) {  // routed as GET; sendResponse drops the body
    c->request_.method = "GET";
    c->request_.head = true;
  }
  c->request_.keepAlive = http_should_keep_alive(p) != 0;
  c->request_.http11 = p->http_major > 1 || (p->http_major == 1 && p->http_minor >= 1);
  http_parser_url u;
  http_parser_url_init(&u);
  if (http_parser_parse_url(c->url_.data(), c->url_.size(), 0, &u) != 0) {
    c->errorStatus_ = 400;
    c->error_ = "malformed request target";
    return -1;
  }
  if (u.field_set & (1 << UF_PATH)) {
    std::string raw = c->url_.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    if (!core::percentDecode(raw, c->request_.path, false)) {
      c->errorStatus_ = 400;
      c->error_ = "malformed path encoding";
      return -1;
    }
  }
  if (u.field_set & (1 << UF_QUERY))
    c->request_.query = c->url_.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
  if (p->content_length != ULLONG_MAX && p->content_length > c->options_.maxBodySize) {
    c->errorStatus_ = 413;
    c->error_ = "request body larger than " + std::to_string(c->options_.maxBodySize) + " bytes";
    return -1;
  }
  // NOTE: an upgrade request without a body ends the HTTP stream at this head.
  // Pausing here makes http_parser_execute return the offset of the head's last
  // byte (the final LF, not yet consumed), so finishUpgradeHead knows exactly
  // which bytes behind it belong to the new protocol.
  if (p->upgrade && !(p->flags & F_CHUNKED) &&
      (p->content_length == 0 || p->content_length == ULLONG_MAX)) {
    c->upgradeHead_ = true;
    http_parser_pause(p, 1);
  }
  return 0;
}

int HttpConnection::onBody(http_parser* p, const char* at, size_t len) {
  auto* c = self(p);
  if (c->request_.body.size() + len > c->options_.maxBodySize) {
    c->errorStatus_ = 413;
    c->error_ = "request body too large";
    return -1;
  }
  c->request_.body.append(at, len);
  return 0;
}

int HttpConnection::onMessageComplete(http_parser* p) {
  auto* c = self(p);
  c->inRequest_ = false;
  c->timer_.stop();
  ++c->requests_;
  c->handleRequest();
  // Stop parsing pipelined bytes once the socket is handed over or closing.
  if (c->takenOver_ || c->closed_ || c->closing_ || c->deferred_ || c->waitingDrain_)
    http_parser_pause(p, 1);
  return 0;
}

void HttpConnection::handleRequest() {
  HttpExchange exchange(*this);
  dispatching_ = true;
  HttpResponse response;
  try {
    response = server_.dispatch(request_, exchange);
  } catch (const std::exception& e) {
    // NOTE: whatever a route did, the client gets an answer and the connection lives.
    spdlog::error("http {} {} {}: request failed: {}", request_.peer, request_.method,
                  request_.path, e.what());
    response = HttpResponse::error(500, "internal error");
  }
  dispatching_ = false;
  if (takenOver_ || closed_ || deferred_) return;
  if (early_) {  // deferred, then answered before the handler returned
    response = std::move(*early_);
    early_.reset();
  }
  if (headOnly_) {  // a HEAD of a streamed answer: its head was all there is
    conn_->write(core::SharedBuffer::copyOf(*headOnly_));
    headOnly_.reset();
    finishResponse(!request_.keepAlive || headOnlyCloses_);
    return;
  }
  sendResponse(response);
}

void HttpConnection::answerHead(std::string head, bool closeAfter) {
  headOnly_ = std::move(head);
  headOnlyCloses_ = closeAfter;
}

std::shared_ptr<HttpResponder> HttpConnection::defer() {
  deferred_ = std::make_shared<HttpResponder>();
  deferred_->conn_ = this;
  timer_.stop();  // the handler bounds the wait itself
  return deferred_;
}

void HttpConnection::respondDeferred(const HttpResponse& response) {
  deferred_.reset();
  if (closed_) return;
  if (dispatching_) {
    early_ = response;
    return;
  }
  sendResponse(response);
  if (closed_ || closing_) return;
  http_parser_pause(&parser_, 0);
  if (!pending_.empty()) {
    std::string next;
    next.swap(pending_);
    onData({reinterpret_cast<const uint8_t*>(next.data()), next.size()});
  }
}

void HttpConnection::sendResponse(const HttpResponse& response) {
  const bool keepAlive = request_.keepAlive;
  size_t length = response.body.size();
  for (const auto& b : response.sharedBody) length += b.size();
  std::string head =
      responseHead(response.status, response.contentType, length, false, response.headers);
  spdlog::debug("http {} {} {} -> {}", request_.peer, request_.head ? "HEAD" : request_.method,
                request_.path, response.status);
  if (request_.head || response.body.empty()) {
    // Shared bodies (segments, parts, playlists) are written from the shared
    // bytes themselves: no copy per request.
    std::vector<core::SharedBuffer> parts{core::SharedBuffer::copyOf(head)};
    if (!request_.head)
      parts.insert(parts.end(), response.sharedBody.begin(), response.sharedBody.end());
    conn_->write(parts);
  } else {
    conn_->write(core::SharedBuffer::copyOf(head + response.body));
  }
  finishResponse(!keepAlive);
}

void HttpConnection::finishResponse(bool closeAfter) {
  if (closeAfter) {
    closing_ = true;
    if (!conn_->writePending())
      close("response sent, connection: close");
    else
      timer_.start(2000);  // a peer that never reads must not keep us
  } else if (conn_->writePending()) {
    // NOTE: pipelined requests wait until this response is written, so a client
    // that never reads cannot make us queue answers without end.
    waitingDrain_ = true;
    timer_.start(static_cast<uint64_t>(options_.keepAliveTimeoutMs));
  } else {
    armIdle();
  }
}

void HttpConnection::reject(int status, std::string_view reason) {
  if (closed_ || closing_) return;
  spdlog::warn("http {}: {} {}: {}", conn_->peer(), status, statusText(status), reason);
  const auto response = HttpResponse::error(status, reason);
  conn_->write(core::SharedBuffer::copyOf(
      responseHead(status, response.contentType, response.body.size(), false, {}) + response.body));
  closing_ = true;
  conn_->stopReading();
  if (!conn_->writePending())
    close(reason);
  else
    timer_.start(2000);  // a peer that never reads must not keep us
}

void HttpConnection::onDrained() {
  if (closing_) {
    close("response sent");
    return;
  }
  if (!waitingDrain_) return;
  waitingDrain_ = false;
  armIdle();
  http_parser_pause(&parser_, 0);
  if (!pending_.empty()) {
    std::string next;
    next.swap(pending_);
    onData({reinterpret_cast<const uint8_t*>(next.data()), next.size()});
  }
}

std::string HttpConnection::responseHead(int status, const std::string& contentType,
                                         size_t contentLength, bool chunked,
                                         const std::map<std::string, std::string>& headers,
                                         bool untilClose) const {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + statusText(status) + "\r\n";
  h += "Server: roomcast\r\n";
  if (!contentType.empty()) h += "Content-Type: " + contentType + "\r\n";
  if (chunked) {
    h += "Transfer-Encoding: chunked\r\n";
  } else if (untilClose) {
    h += "Connection: close\r\n";
  } else if (status == 204 || status == 304) {
    // RFC 9110 8.6: no Content-Length on these.
  } else {
    h += "Content-Length: " + std::to_string(contentLength) + "\r\n";
  }
  if (!options_.corsOrigin.empty()) {
    h += "Access-Control-Allow-Origin: " + options_.corsOrigin + "\r\n";
    h += "Access-Control-Allow-Methods: GET, POST, PUT, PATCH, DELETE, OPTIONS\r\n";
    h += "Access-Control-Allow-Headers: Content-Type, Authorization, Range, If-Match\r\n";
    // WHIP/WHEP clients on another origin read the session URL and its ETag.
    h += "Access-Control-Expose-Headers: Location, ETag, Link\r\n";
  }
  for (const auto& [k, v] : headers) h += k + ": " + v + "\r\n";
  if (!request_.keepAlive && !chunked && !untilClose) h += "Connection: close\r\n";
  return h + "\r\n";
}

std::unique_ptr<core::TcpConnection> HttpConnection::upgrade(
    const std::map<std::string, std::string>& headers, std::string* leftover) {
  // NOTE: RFC 9110 15.2.2 / RFC 6455 4.2.2: a 101 has no body, hence no
  // Content-Length or chunking; CORS does not apply to an upgrade.
  std::string head = "HTTP/1.1 101 Switching Protocols\r\nServer: roomcast\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "\r\n";
  if (leftover) *leftover = std::move(upgradeLeftover_);
  upgradeLeftover_.clear();
  return release(std::move(head));
}

std::unique_ptr<core::TcpConnection> HttpConnection::release(std::string head) {
  takenOver_ = true;
  timer_.stop();
  conn_->write(core::SharedBuffer::copyOf(head));
  conn_->setHandler(nullptr);
  auto out = std::move(conn_);
  closed_ = true;
  server_.remove(this);
  return out;
}

}  // namespace http
