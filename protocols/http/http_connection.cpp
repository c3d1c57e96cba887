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
        if (inRequest_ || requests_ == 0) {
          reject(408, "request headers not received in time");
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
  const size_t parsed = http_parser_execute(
      &parser_, &settings_, reinterpret_cast<const char*>(bytes.data()), bytes.size());
  if (closed_ || takenOver_) return;
  if (errorStatus_ != 0) {
    reject(errorStatus_, error_);
    return;
  }
  if (HTTP_PARSER_ERRNO(&parser_) != HPE_OK || (parsed != bytes.size() && !parser_.upgrade)) {
    reject(400, std::string("malformed request: ") +
                    http_errno_description(HTTP_PARSER_ERRNO(&parser_)));
  }
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
  c->timer_.stop();
  c->request_.method = http_method_str(static_cast<http_method>(p->method));
  c->request_.keepAlive = http_should_keep_alive(p) != 0;
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
  ++c->requests_;
  c->handleRequest();
  // Stop parsing pipelined bytes once the socket is handed over or closing.
  if (c->takenOver_ || c->closed_ || c->closing_) http_parser_pause(p, 1);
  return 0;
}

void HttpConnection::handleRequest() {
  HttpExchange exchange(*this);
  HttpResponse response = server_.dispatch(request_, exchange);
  if (takenOver_ || closed_) return;
  const bool keepAlive = request_.keepAlive;
  std::string out = responseHead(response.status, response.contentType, response.body.size(), false,
                                 response.headers);
  if (request_.method != "HEAD") out += response.body;
  spdlog::debug("http {} {} {} -> {}", request_.peer, request_.method, request_.path,
                response.status);
  conn_->write(core::SharedBuffer::copyOf(out));
  if (!keepAlive) {
    closing_ = true;
    if (!conn_->writePending()) close("response sent, connection: close");
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
  if (closing_) close("response sent");
}

std::string HttpConnection::responseHead(int status, const std::string& contentType,
                                         size_t contentLength, bool chunked,
                                         const std::map<std::string, std::string>& headers) const {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + statusText(status) + "\r\n";
  h += "Server: roomcast\r\n";
  if (!contentType.empty()) h += "Content-Type: " + contentType + "\r\n";
  if (chunked) {
    h += "Transfer-Encoding: chunked\r\n";
  } else {
    h += "Content-Length: " + std::to_string(contentLength) + "\r\n";
  }
  if (!options_.corsOrigin.empty()) {
    h += "Access-Control-Allow-Origin: " + options_.corsOrigin + "\r\n";
    h += "Access-Control-Allow-Methods: GET, POST, PUT, DELETE, OPTIONS\r\n";
    h += "Access-Control-Allow-Headers: Content-Type, Authorization, Range\r\n";
  }
  for (const auto& [k, v] : headers) h += k + ": " + v + "\r\n";
  if (!request_.keepAlive && !chunked) h += "Connection: close\r\n";
  return h + "\r\n";
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
