// HttpServer: HTTP/1.1 on the loop (http-parser), with bounded header size and
// header-read time, keep-alive idle close, CORS, and routes. A route either
// answers with an HttpResponse or takes the socket over (HTTP-FLV streaming).
// Owned by main(); owns its connections; loop thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/loop/session_set.hpp"
#include "core/loop/tcp_listener.hpp"
#include "protocols/http/http_message.hpp"

namespace http {

struct HttpOptions {
  size_t maxHeaderSize = 8192;
  size_t maxBodySize = 1024 * 1024;
  int64_t headerTimeoutMs = 10000;
  int64_t keepAliveTimeoutMs = 15000;
  std::string corsOrigin = "*";  // empty: no CORS headers
};

class HttpConnection;

// A response given later, e.g. an LL-HLS blocking playlist reload held on the
// loop until the part exists. Safe to keep after the client went away: respond()
// then does nothing. Loop thread.
class HttpResponder {
 public:
  void respond(const HttpResponse& response);
  bool alive() const { return conn_ != nullptr; }

 private:
  friend class HttpConnection;
  HttpConnection* conn_ = nullptr;
};

// What a route gets besides the request: answer, defer the answer, or take the
// socket over.
class HttpExchange {
 public:
  explicit HttpExchange(HttpConnection& conn) : conn_(conn) {}
  // The handler's return value is ignored; answer through the responder. The
  // connection reads no further request until then.
  std::shared_ptr<HttpResponder> defer();
  // Sends the response head (status, headers) and hands the socket to the caller,
  // which then owns it; the HTTP connection is gone after the handler returns.
  // `chunked`: announce chunked transfer (the caller frames the body); otherwise
  // the body ends when the connection closes (HTTP/1.0). On a HEAD request
  // (req.head) nullptr: the same head is the whole answer, the exchange ends there.
  std::unique_ptr<core::TcpConnection> takeOver(int status, const std::string& contentType,
                                                const std::map<std::string, std::string>& headers,
                                                bool chunked = true);
  // Answers `101 Switching Protocols` with `headers` (Upgrade, Connection,
  // Sec-WebSocket-Accept...) and hands the socket over like takeOver. *leftover
  // gets the bytes the client sent right behind the request head (e.g. its first
  // WebSocket frame): they belong to the new protocol.
  std::unique_ptr<core::TcpConnection> upgrade(const std::map<std::string, std::string>& headers,
                                               std::string* leftover);
  const HttpOptions& options() const;

 private:
  HttpConnection& conn_;
};

using RouteHandler = std::function<HttpResponse(const HttpRequest&, HttpExchange&)>;

class HttpServer {
 public:
  HttpServer(core::EventLoop& loop, const std::string& host, uint16_t port, HttpOptions options);
  ~HttpServer();

  // `pattern` is matched by the predicate; first match wins.
  void route(std::function<bool(const HttpRequest&)> match, RouteHandler handler);
  void routePrefix(const std::string& method, const std::string& prefix, RouteHandler handler);

  // Extra headers of the CORS preflight (OPTIONS) answer under `prefix`, e.g. WHIP's
  // "Accept-Post: application/sdp" (RFC 9725 4.1).
  void optionsHeaders(const std::string& prefix, std::map<std::string, std::string> headers) {
    optionsHeaders_.emplace_back(prefix, std::move(headers));
  }

  uint16_t port() const { return listener_.port(); }
  void closeAll();

 private:
  friend class HttpConnection;
  HttpResponse dispatch(const HttpRequest& req, HttpExchange& exchange);
  void remove(HttpConnection* conn);

  HttpOptions options_;
  std::vector<std::pair<std::function<bool(const HttpRequest&)>, RouteHandler>> routes_;
  std::vector<std::pair<std::string, std::map<std::string, std::string>>> optionsHeaders_;
  core::SessionSet<HttpConnection> connections_;
  core::TcpListener listener_;
};

}  // namespace http
